// Who may talk to whom, and who may read what: other users' sockets and directories, private files.

import BanditCommands
@testable import BanditServer
import BanditTestSupport
import Foundation
import Testing

/// A second user for the tests that need another uid.
struct OtherUser: Sendable {
    static let name = "bandit-test-other"
    let uid: uid_t
    let gid: gid_t

    /// `bandit-test-other`, created with useradd the first time it is asked for (once per process:
    /// suites run in parallel). Only root can do this; the tests that need it are enabled for root.
    static let shared: Result<OtherUser, NotYet> = {
        if let user = lookUp() { return .success(user) }
        do {
            let made = try runProgram("/usr/sbin/useradd", ["--system", "--no-create-home", "--user-group",
                                                            "--shell", "/usr/sbin/nologin", name])
            // Another test process may have made it meanwhile: what counts is that it exists now.
            if let user = lookUp() { return .success(user) }
            return .failure(NotYet(description: "useradd \(name) failed: \(made.stderr)"))
        } catch {
            return .failure(NotYet(description: "cannot run useradd: \(error)"))
        }
    }()

    private static func lookUp() -> OtherUser? {
        guard let entry = getpwnam(name) else { return nil }
        return OtherUser(uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
    }

    /// The arguments that run a command as this user (setpriv, util-linux).
    var setpriv: [String] { ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(gid)", "--clear-groups"] }

    /// Whether the tests can be another user here: root, with setpriv and useradd.
    static var available: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/useradd")
    }
}

/// The permission bits of a file, a socket or a directory (not following a symbolic link).
func permissions(_ path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o7777
}

@Suite("socket and file security", .serialized)
struct SecurityTests {
    @Test("a banditd of another user answering on the state directory's socket is refused; no daemon of ours is started",
          .enabled(if: OtherUser.available, "needs root, setpriv and useradd to be another user"))
    func impostorRefused() throws {
        let other = try OtherUser.shared.get()
        let directory = temporaryDirectory(), state = directory + "/state", theirs = directory + "/theirs"
        chmod(directory, 0o755)
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        try FileManager.default.createDirectory(atPath: theirs, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        chown(theirs, other.uid, other.gid)
        // A real daemon, answering hellos as ours would, only run by someone else; its socket moved
        // into our directory (as a user who could write there would have put it).
        let impostor = try ForegroundDaemon(state: theirs, prefix: other.setpriv)
        defer { impostor.stop() }
        #expect(rename(impostor.socket, state + "/" + Daemon.socketName) == 0)
        let run = try bandit(["--state-dir", state, "-c", "experiments"], in: directory)
        #expect(run.status == 1)
        #expect(run.stderr.contains("\(state)/banditd.sock is served by uid \(other.uid), not by you (uid 0): it is not your banditd"),
                "\(run.stderr)")
        #expect(daemonPID(state) == nil, "the client started a daemon after refusing the impostor")
        // Through the library too, before any line is sent.
        #expect {
            _ = try DaemonClient.connect(stateDirectory: state, daemonPath: try builtExecutable("banditd"))
        } throws: { error in
            "\(error)".contains("is served by uid \(other.uid)")
        }
    }

    @Test("a state directory that group or others can write is refused, and nothing is written in it",
          arguments: [0o777 as mode_t, 0o770, 0o1777, 0o720])
    func writableDirectoryRefused(mode: mode_t) throws {
        let directory = temporaryDirectory(), state = directory + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: false)
        chmod(state, mode)
        let run = try bandit(["--state-dir", state, "-c", "experiments"], in: directory)
        #expect(run.status == 1)
        let who = mode & 0o002 != 0 ? "others" : "its group"
        let octal = "0" + String(mode, radix: 8)
        #expect(run.stderr.contains("the state directory \(state) is writable by \(who) (mode \(octal)), "
                                    + "so another user could have put a socket there: check what is in it, then 'chmod 700 \(state)'"),
                "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: state).isEmpty)
        #expect(permissions(state) == mode, "the client changed the mode")
    }

    @Test("a state directory of another user is refused by the client and by banditd",
          .enabled(if: OtherUser.available, "needs root, setpriv and useradd to be another user"))
    func foreignDirectoryRefused() throws {
        let other = try OtherUser.shared.get()
        let directory = temporaryDirectory(), state = directory + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        chown(state, other.uid, other.gid)
        let client = try bandit(["--state-dir", state, "-c", "experiments"], in: directory)
        #expect(client.status == 1)
        #expect(client.stderr.contains("the state directory \(state) belongs to uid \(other.uid), not to you (uid 0): "
                                       + "use a state directory of your own (--state-dir DIR)"), "\(client.stderr)")
        let daemon = try runProgram(try builtExecutable("banditd"), ["--foreground", "--state-dir", state])
        #expect(daemon.status == 1)
        #expect(daemon.stderr.contains("belongs to uid \(other.uid), not to you (uid 0): run banditd as that user"), "\(daemon.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: state).isEmpty)
    }

    @Test("the daemon's directory, pid file, socket and log are 0700 and 0600 under umask 022")
    func privateModes() throws {
        let directory = temporaryDirectory(), state = directory + "/state"
        let daemon = try ForegroundDaemon(state: state, umask: "022")
        #expect(permissions(state) == 0o700)
        #expect(permissions(state + "/banditd.pid") == 0o600)
        #expect(permissions(state + "/banditd.sock") == 0o600)
        daemon.stop()
        // Started in the background, it logs to a file of its own in the directory.
        let detached = directory + "/detached"
        let start = try runProgram("/bin/sh", ["-c", "umask 022 && exec \"$0\" --state-dir \"$1\"", try builtExecutable("banditd"), detached])
        defer { stopDaemon(detached) }
        #expect(start.status == 0, "\(start.stderr)")
        #expect(permissions(detached) == 0o700)
        #expect(permissions(detached + "/banditd.log") == 0o600)
        #expect(permissions(detached + "/banditd.pid") == 0o600)
    }

    @Test("a state directory others can read, with files others can read: bandit uses it, banditd makes them private and says so")
    func openDirectoryMadePrivate() throws {
        let directory = temporaryDirectory(), state = directory + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: false)
        for name in ["banditd.log", "banditd.start.lock"] {
            #expect(FileManager.default.createFile(atPath: state + "/" + name, contents: nil, attributes: [.posixPermissions: 0o644]))
        }
        chmod(state, 0o755)
        defer { stopDaemon(state) }
        let run = try bandit(["--state-dir", state, "-c", "experiments"], in: directory)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(permissions(state) == 0o700)
        #expect(permissions(state + "/banditd.log") == 0o600)
        #expect(permissions(state + "/banditd.start.lock") == 0o600)
        let log = try String(contentsOfFile: state + "/banditd.log", encoding: .utf8)
        #expect(log.contains("the state directory \(state) was mode 0755, open to other users: now 0700"), "\(log)")
        #expect(log.contains("\(state)/banditd.start.lock was mode 0644: now 0600"), "\(log)")
    }
}
