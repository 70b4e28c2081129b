// The daemon as a person meets it: real processes, the real socket, the real database file.

import BanditCommands
@testable import BanditServer
@testable import BanditStore
import BanditTestSupport
import Foundation
import Testing

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

func bandit(_ arguments: [String], input: String? = nil, in directory: String) throws -> (status: Int32, stdout: String, stderr: String) {
    try runProgram(try builtExecutable("bandit"), arguments, input: input, directory: directory)
}

/// perl, for a raw client run as another user (the test bundle cannot be one), if installed.
let perl: String? = FileManager.default.isExecutableFile(atPath: "/usr/bin/perl") ? "/usr/bin/perl" : nil

/// Days committed by the jobs of a state directory, read as another process would.
func daysDone(_ state: String) -> Int {
    guard let connection = try? Connection(path: state + "/bandit.db", readOnly: true) else { return 0 }
    defer { connection.close() }
    return Int((try? connection.integer("SELECT coalesce(max(days_done), 0) FROM jobs")) ?? 0)
}

/// Whether the first job of a state directory has finished.
func jobFinished(_ state: String) -> Bool {
    guard let connection = try? Connection(path: state + "/bandit.db", readOnly: true) else { return false }
    defer { connection.close() }
    return ((try? connection.integer("SELECT count(*) FROM jobs WHERE id = 1 AND state = 'finished'")) ?? 0) == 1
}

/// The stored curves of an experiment, bit patterns and all.
func curves(_ state: String, experiment: String) throws -> [String: [UInt64]] {
    let store = try Store(directory: state)
    defer { store.close() }
    let record = try #require(try store.experiment(named: experiment))
    var result: [String: [UInt64]] = [:]
    for stored in try store.results(experimentID: record.id) {
        result[stored.curve.label] = stored.curve.mean.map(\.bitPattern) + stored.curve.standardError.map(\.bitPattern)
    }
    return result
}

@Suite("banditd", .serialized)
struct DaemonTests {
    @Test("the notebook over the socket; reconnect and see the same results; one daemon throughout")
    func endToEnd() throws {
        let directory = temporaryDirectory(), state = directory + "/state"
        defer { stopDaemon(state) }
        let script = packageRoot + "/examples/notebook.bandit"
        var run = try bandit(["--state-dir", state, script], in: directory)
        #expect(run.status == 0, "\(run.stderr)")
        let pid = try #require(daemonPID(state))
        run = try bandit(["--state-dir", state, "-c", "use notebook; export curves again.csv; experiments"], in: directory)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("notebook"))
        let first = try String(contentsOfFile: directory + "/notebook.csv", encoding: .utf8)
        let again = try String(contentsOfFile: directory + "/again.csv", encoding: .utf8)
        #expect(first == again && first.split(separator: "\n").count == 43)
        #expect(daemonPID(state) == pid)
        // Scripts stop at the first error with status 1, as before, now executed by the daemon.
        run = try bandit(["--state-dir", state], input: "use notebook\nworld features 0\nstats\n", in: directory)
        #expect(run.status == 1 && run.stderr.contains("line 2: world features 0: features must be"))
        // `shutdown` from a client stops it cleanly.
        run = try bandit(["--state-dir", state, "-c", "shutdown"], in: directory)
        #expect(run.status == 0 && run.stdout.contains("banditd is stopping"))
        for _ in 0..<250 where kill(pid, 0) == 0 { usleep(20_000) }
        #expect(kill(pid, 0) != 0)
        #expect(!FileManager.default.fileExists(atPath: state + "/bandit.db-wal"))
        #expect(!FileManager.default.fileExists(atPath: state + "/banditd.sock"))
        #expect(!FileManager.default.fileExists(atPath: state + "/banditd.pid"))
    }

    @Test("two clients starting at once end with one daemon; both are served")
    func concurrentClients() throws {
        let directory = temporaryDirectory(), state = directory + "/state"
        defer { stopDaemon(state) }
        let scripts = ["new a rng default seed 1; world; compare greedy ts:5 runs 6 days 6",
                       "new b rng numpy seed 2; world features 4 actions 8; runs 6 days 6"]
        let group = DispatchGroup()
        let outcomes = (0..<2).map { _ in Outcomes() }
        for index in 0..<2 {
            DispatchQueue.global().async(group: group) {
                outcomes[index].value = try? bandit(["--state-dir", state, "-c", scripts[index]], in: directory)
            }
        }
        group.wait()
        for outcome in outcomes {
            let (status, _, stderr) = try #require(outcome.value)
            #expect(status == 0, "\(stderr)")
        }
        let listing = try bandit(["--state-dir", state, "-c", "experiments"], in: directory)
        #expect(listing.stdout.contains("a ") && listing.stdout.contains("b "))
        let daemons = try runProgram("/usr/bin/pgrep", ["-f", "banditd --foreground --state-dir \(state)"])
        #expect(daemons.stdout.split(separator: "\n").count == 1, "\(daemons.stdout)")
    }

    @Test("a client of another protocol version is refused with a clear message")
    func versionMismatch() throws {
        let directory = temporaryDirectory(), state = directory + "/state"
        defer { stopDaemon(state) }
        #expect(try bandit(["--state-dir", state, "-c", "experiments"], in: directory).status == 0)
        guard case .success(let fd) = UnixSocket.connect(to: state + "/banditd.sock") else {
            Issue.record("no socket")
            return
        }
        #expect {
            _ = try DaemonClient(fd: fd, protocolVersion: 99)
        } throws: { error in
            "\(error)".contains("protocol version 99 is not spoken here") && "\(error)".contains("speaks \(Wire.version)")
        }
    }

    @Test("a peer with another uid is refused by the daemon, before its hello", .enabled(if: OtherUser.available && perl != nil,
          "needs root, setpriv, useradd and perl to connect as another user"))
    func otherUidRefused() throws {
        let other = try OtherUser.shared.get()
        let directory = temporaryDirectory(), state = directory + "/state"
        defer { stopDaemon(state) }
        #expect(try bandit(["--state-dir", state, "-c", "experiments"], in: directory).status == 0)
        // Let the other user reach the socket at all, so that the daemon's own check is what refuses.
        // (bandit itself would refuse our directory before connecting: a raw client does not.)
        chmod(directory, 0o755)
        chmod(state, 0o755)
        chmod(state + "/banditd.sock", 0o666)
        let script = #"use IO::Socket::UNIX; my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!\n"; local $/; print <$s>;"#
        let run = try runProgram(other.setpriv[0], Array(other.setpriv.dropFirst()) + [try #require(perl), "-e", script, state + "/banditd.sock"],
                                 directory: "/")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("banditd serves uid 0 only, not \(other.uid)"), "\(run.stdout)")
    }

    @Test("garbage, an oversized frame, a half-closed connection: dropped; others are served; nothing lost")
    func badInput() throws {
        let directory = temporaryDirectory(), state = directory + "/state"
        defer { stopDaemon(state) }
        #expect(try bandit(["--state-dir", state, "-c", "new keep; world; runs 2 days 3"], in: directory).status == 0)
        let socket = state + "/banditd.sock"
        let healthy = try DaemonClient(fd: try UnixSocket.connect(to: socket).get())
        func raw(_ bytes: [UInt8], halfClose: Bool = false) throws -> String {
            let fd = try UnixSocket.connect(to: socket).get()
            defer { close(fd) }
            _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            if halfClose { shutdown(fd, Int32(SHUT_WR)) }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count <= 0 { break }
                received += buffer[0..<count]
            }
            return String(decoding: received, as: UTF8.self)
        }
        let garbage = try raw(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        #expect(garbage.contains("error"), "\(garbage)")
        let oversized = try raw([0x7f, 0xff, 0xff, 0xff, 0x7b])
        #expect(oversized.contains("outside 1 byte to 1 MiB"), "\(oversized)")
        let notJSON = try raw([0, 0, 0, 3, 0x61, 0x62, 0x63])
        #expect(notJSON.contains("not a message"), "\(notJSON)")
        let hello = try JSONEncoder().encode(ClientMessage.hello(protocol: Wire.version, client: "test", workingDirectory: "/"))
        let framed = withUnsafeBytes(of: UInt32(hello.count).bigEndian, Array.init) + Array(hello) + [0, 0, 0, 9, 0x7b]
        let half = try raw(framed, halfClose: true)
        #expect(half.contains("welcome"), "\(half)")
        // The daemon still serves, and everything committed is there.
        let outcomes = try healthy.run("use keep; stats", progress: nil, interrupted: { false })
        #expect(outcomes.allSatisfy { $0.error == nil })
        #expect(outcomes.last?.reply.plainText.contains("greedy (2 runs)") == true)
        healthy.bye()
        stopDaemon(state)
        let store = try Store(directory: state)
        defer { store.close() }
        #expect(try store.integrityCheck() == "ok")
        #expect(try store.sql("SELECT count(*) FROM decisions") == [["600"]])
    }

    @Test("SIGKILL the daemon mid-job, start it again: the job resumes by itself, same curves", arguments: ["numpy", "default"])
    func killAndRestart(kind: String) throws {
        let directory = temporaryDirectory(), state = directory + "/state", reference = directory + "/reference"
        defer { stopDaemon(state) }
        let setup = "new a rng \(kind) seed 17; world; policy ts 30"
        // Long enough (1,120 days) that every kill lands before the job ends, however fast the engine.
        #expect(try bandit(["--no-daemon", "--state-dir", reference, "-c", "\(setup); runs 80 days 14"], in: directory).status == 0)
        var run = try bandit(["--state-dir", state, "-c", "\(setup); runs 80 days 14 &"], in: directory)
        #expect(run.status == 0 && run.stdout.contains("job 1 started in the background"), "\(run.stderr)")
        var interrupted = 0
        for target in [60, 240, 420, 600, 840] {
            for _ in 0..<3000 where daysDone(state) < target { usleep(5_000) }
            let pid = try #require(daemonPID(state))
            kill(pid, SIGKILL)
            for _ in 0..<250 where kill(pid, 0) == 0 { usleep(20_000) }
            // A kill that came after the job finished interrupted nothing.
            if !jobFinished(state) { interrupted += 1 }
            // Any client starts a new daemon, which resumes the job by itself.
            run = try bandit(["--state-dir", state, "-c", "use a; jobs"], in: directory)
            #expect(run.status == 0, "\(run.stderr)")
        }
        run = try bandit(["--state-dir", state, "-c", "use a; wait 1; jobs"], in: directory)
        #expect(run.stdout.contains("job 1 finished"), "\(run.stdout)")
        #expect(interrupted >= 3)
        #expect(run.stdout.contains("resumed \(interrupted)×"), "\(run.stdout)")
        stopDaemon(state)
        #expect(try curves(state, experiment: "a") == curves(reference, experiment: "a"))
    }

    @Test("SIGTERM mid-job: exit 0, no -wal file; the job resumes on the next start and ends as uninterrupted")
    func sigterm() throws {
        let directory = temporaryDirectory(), state = directory + "/state", reference = directory + "/reference"
        defer { stopDaemon(state) }
        let setup = "new a rng numpy seed 5; world; policy eps 0.1"
        // 2,100 days: long enough that SIGTERM lands mid-job however fast the program is.
        #expect(try bandit(["--no-daemon", "--state-dir", reference, "-c", "\(setup); runs 150 days 14"], in: directory).status == 0)
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: try builtExecutable("banditd"))
        daemon.arguments = ["--foreground", "--state-dir", state]
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        for _ in 0..<500 where daemonPID(state) == nil { usleep(10_000) }
        #expect(try bandit(["--state-dir", state, "-c", "\(setup); runs 150 days 14 &"], in: directory).status == 0)
        for _ in 0..<3000 where daysDone(state) < 100 { usleep(5_000) }
        daemon.terminate()
        daemon.waitUntilExit()
        #expect(daemon.terminationReason == .exit && daemon.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: state + "/bandit.db-wal"))
        #expect(!FileManager.default.fileExists(atPath: state + "/banditd.sock"))
        let store = try Store(directory: state)
        let job = try #require(try store.job(id: 1))
        store.close()
        #expect(job.state == .interrupted && job.daysDone >= 100 && job.daysDone < 2100)
        let run = try bandit(["--state-dir", state, "-c", "use a; wait 1"], in: directory)
        #expect(run.stdout.contains("job 1 finished"), "\(run.stdout) \(run.stderr)")
        stopDaemon(state)
        #expect(try curves(state, experiment: "a") == curves(reference, experiment: "a"))
    }

    @Test("make install PREFIX puts both programs, both man pages and etc/ in place")
    func install() throws {
        let prefix = temporaryDirectory() + "/prefix"
        let built = URL(fileURLWithPath: try builtExecutable("bandit")).deletingLastPathComponent().path
        let make = try runProgram("/usr/bin/make", ["-C", packageRoot, "--no-print-directory", "install-files",
                                                    "PREFIX=\(prefix)", "BUILD_DIR=\(built)"])
        #expect(make.status == 0, "\(make.stderr)")
        for file in ["bin/bandit", "bin/banditd", "share/man/man1/bandit.1", "share/man/man8/banditd.8",
                     "share/bandit/etc/bandit.conf", "share/bandit/etc/banditd.service", "share/bandit/examples/notebook.bandit"] {
            #expect(FileManager.default.fileExists(atPath: prefix + "/" + file), "\(file)")
        }
        // The unit starts the banditd installed under this prefix.
        let unit = try String(contentsOfFile: prefix + "/share/bandit/etc/banditd.service", encoding: .utf8)
        #expect(unit.contains("\nExecStart=\(prefix)/bin/banditd --foreground --idle-exit 0\n"), "\(unit)")
        #expect(try runProgram(prefix + "/bin/bandit", ["--help"]).status == 0)
        #expect(try runProgram(prefix + "/bin/banditd", ["--help"]).status == 0)
    }

    @Test("the configuration file: every setting of etc/bandit.conf is accepted; typos are refused")
    func configuration() throws {
        let directory = temporaryDirectory()
        let banditd = try builtExecutable("banditd")
        let config = directory + "/bad.conf"
        try "threads = 2\nthreds = 3\n".write(toFile: config, atomically: true, encoding: .utf8)
        let bad = try runProgram(banditd, ["--foreground", "--config", config, "--state-dir", directory + "/s"])
        #expect(bad.status == 1 && bad.stderr.contains("bad.conf:2: unknown setting 'threds'"), "\(bad.stderr)")
        // The shipped example parses: run the daemon on it briefly and stop it.
        let state = directory + "/state"
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: banditd)
        daemon.arguments = ["--foreground", "--config", packageRoot + "/etc/bandit.conf", "--state-dir", state]
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        for _ in 0..<500 where daemonPID(state) == nil && daemon.isRunning { usleep(10_000) }
        #expect(daemonPID(state) != nil)
        daemon.terminate()
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
    }
}

/// One process's outcome, written by one thread and read after it joined.
final class Outcomes: @unchecked Sendable {
    var value: (status: Int32, stdout: String, stderr: String)?

    @Test("progress frames: the first, then at most one per 50 ms, and always the last")
    func progressThrottle() {
        let throttle = ProgressThrottle()
        #expect(throttle.admit(JobProgress(label: "j", done: 1, total: 100)))
        #expect(!throttle.admit(JobProgress(label: "j", done: 2, total: 100)))
        #expect(throttle.admit(JobProgress(label: "j", done: 100, total: 100)))
        usleep(60_000)
        #expect(throttle.admit(JobProgress(label: "j", done: 3, total: 100)))
    }
}
