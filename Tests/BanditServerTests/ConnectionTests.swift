// Bounded connections on the real daemon: the limit, the hello timeout, and no spinning when out of descriptors.

import BanditCommands
@testable import BanditServer
import BanditTestSupport
import Foundation
import Testing

/// A `banditd --foreground` of a test, its standard error in a file beside the state directory.
/// Stopped (SIGTERM, then waited for) by `stop()`, which every test defers.
final class ForegroundDaemon {
    let state: String
    let logPath: String
    let process = Process()
    var socket: String { state + "/" + Daemon.socketName }
    var pid: pid_t { process.processIdentifier }

    /// Starts banditd on `state` with `arguments`, under `umask` when given (through sh), with at
    /// most `openFiles` descriptors when given (through prlimit), after `prefix` (setpriv …); each
    /// execs the next, so that the process is banditd itself. Returns once it serves.
    init(state: String, arguments: [String] = [], openFiles: Int? = nil, umask: String? = nil, prefix: [String] = []) throws {
        self.state = state
        logPath = (state as NSString).deletingLastPathComponent + "/banditd-\(UUID().uuidString.prefix(8)).log"
        var command = [try builtExecutable("banditd"), "--foreground", "--state-dir", state] + arguments
        if let openFiles { command = ["/usr/bin/prlimit", "--nofile=\(openFiles):\(openFiles)"] + command }
        command = prefix + command
        if let umask { command = ["/bin/sh", "-c", "umask \(umask) && exec \"$@\"", "sh"] + command }
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else { throw NotYet(description: "cannot create \(logPath)") }
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try process.run()
        for _ in 0..<1000 where process.isRunning && !FileManager.default.fileExists(atPath: state + "/" + Daemon.pidName) {
            usleep(10_000)
        }
        guard process.isRunning else { throw NotYet(description: "banditd did not start: \(log)") }
    }

    /// What the daemon logged so far.
    var log: String {
        do {
            return try String(contentsOfFile: logPath, encoding: .utf8)
        } catch {
            return "(the log cannot be read: \(error))"
        }
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}

/// Tries `body` every 20 ms until it succeeds or `seconds` pass; then its last error is thrown.
func eventually<T>(within seconds: Double = 5, _ body: () throws -> T) throws -> T {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        do {
            return try body()
        } catch where Date() < deadline {
            usleep(20_000)
        }
    }
}

/// A condition `eventually` waits for.
struct NotYet: Error, CustomStringConvertible {
    let description: String
}

/// A raw connection to a socket that says nothing: an idle client.
func idleConnection(_ socket: String) throws -> FrameConnection {
    FrameConnection(fd: try UnixSocket.connect(to: socket).get())
}

/// The CPU time a process has used, user and system, in clock ticks (/proc/PID/stat, fields 14 and 15).
func cpuTicks(_ pid: pid_t) throws -> Int {
    let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    let fields = try #require(stat.split(separator: ")").last).split(separator: " ")
    return try #require(Int(fields[11])) + #require(Int(fields[12]))
}

@Suite("connections", .serialized)
struct ConnectionTests {
    @Test("70 idle connections: the 65th on are refused with 'too many clients (64)'; once they leave, a client is served")
    func connectionLimit() throws {
        let state = temporaryDirectory() + "/state"
        let daemon = try ForegroundDaemon(state: state, arguments: ["--hello-timeout", "60"])
        defer { daemon.stop() }
        var idle = try (0..<70).map { _ in try idleConnection(daemon.socket) }
        for connection in idle[64...] {
            guard case .refused(let message)? = try connection.receive(ServerMessage.self, until: .now + .seconds(5)) else {
                Issue.record("connection over the limit not refused")
                continue
            }
            #expect(message.hasPrefix("too many clients (64): banditd \(daemon.pid) serves at most 64 at once"), "\(message)")
            #expect(try connection.receive(ServerMessage.self, until: .now + .seconds(5)) == nil, "not closed after the refusal")
        }
        // The first 64 wait for their hello, told nothing.
        #expect(idle[..<64].allSatisfy { !$0.waitForInput(timeout: .zero) })
        #expect(daemon.log.contains("refused a client: 64 clients are connected (max_connections)"), "\(daemon.log)")
        // Logged once, not once per refused client.
        #expect(daemon.log.components(separatedBy: "refused a client: 64").count == 2, "\(daemon.log)")
        idle.removeAll()
        // The idle connections' threads notice they are gone within moments; then a client is served.
        let client = try eventually { try DaemonClient(fd: try UnixSocket.connect(to: daemon.socket).get()) }
        let outcomes = try client.run("experiments", progress: nil, interrupted: { false })
        #expect(outcomes.count == 1 && outcomes[0].error == nil)
        client.bye()
        #expect(daemon.log.contains("serving new clients again; 6 were refused while 64 were connected"), "\(daemon.log)")
    }

    @Test("max_connections from the command line: the second client of --max-connections 1 is refused while the first stays")
    func configuredLimit() throws {
        let state = temporaryDirectory() + "/state"
        let daemon = try ForegroundDaemon(state: state, arguments: ["--max-connections", "1"])
        defer { daemon.stop() }
        let first = try DaemonClient(fd: try UnixSocket.connect(to: daemon.socket).get())
        #expect {
            _ = try DaemonClient(fd: try UnixSocket.connect(to: daemon.socket).get())
        } throws: { error in
            "\(error)".hasPrefix("too many clients (1): banditd \(daemon.pid) serves at most 1 at once")
        }
        #expect(try first.run("experiments", progress: nil, interrupted: { false }).allSatisfy { $0.error == nil })
        first.bye()
    }

    @Test("a connection that sends no hello, or half of one, is closed after hello_timeout and logged; a prompt one is served")
    func helloTimeout() throws {
        let state = temporaryDirectory() + "/state"
        let daemon = try ForegroundDaemon(state: state, arguments: ["--hello-timeout", "0.5"])
        defer { daemon.stop() }
        let silent = try idleConnection(daemon.socket), partial = try idleConnection(daemon.socket)
        // Two bytes of a frame's four-byte header: a client that starts a hello and never ends it.
        writeRaw(partial, [0, 0])
        let start = ContinuousClock.now
        for connection in [silent, partial] {
            guard case .error(let message)? = try connection.receive(ServerMessage.self, until: .now + .seconds(10)) else {
                Issue.record("no error before closing")
                continue
            }
            #expect(message == "no hello within 0.5 s: closing")
            #expect(try connection.receive(ServerMessage.self, until: .now + .seconds(5)) == nil, "not closed")
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(400) && elapsed < .seconds(5), "\(elapsed)")
        #expect(daemon.log.components(separatedBy: "closed a connection that sent no hello within 0.5 s (hello_timeout)").count == 3,
                "\(daemon.log)")
        let client = try DaemonClient(fd: try UnixSocket.connect(to: daemon.socket).get())
        #expect(try client.run("experiments", progress: nil, interrupted: { false }).allSatisfy { $0.error == nil })
        client.bye()
    }

    @Test("out of descriptors (EMFILE): the accept loop waits instead of spinning, and serves again once connections close",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit"),
                   "needs /usr/bin/prlimit (util-linux) to start banditd with few descriptors"))
    func descriptorShortage() throws {
        let state = temporaryDirectory() + "/state"
        let limit = 64
        let daemon = try ForegroundDaemon(state: state, arguments: ["--hello-timeout", "60", "--max-connections", "1000"],
                                          openFiles: limit)
        defer { daemon.stop() }
        let open = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(daemon.pid)/fd").count
        // Enough to use every descriptor left, and a few more that wait in the backlog (64 fit there).
        var held = try (0..<(limit - open + 8)).map { _ in try idleConnection(daemon.socket) }
        try eventually {
            guard daemon.log.contains("cannot accept a client: Too many open files (at most \(limit) open files)") else {
                throw NotYet(description: "the daemon did not run out of descriptors: \(daemon.log)")
            }
        }
        let before = try cpuTicks(daemon.pid)
        usleep(1_000_000)
        let used = try cpuTicks(daemon.pid) - before
        // A spinning loop uses a whole core: 100 ticks a second. Waiting costs next to nothing.
        #expect(used < sysconf(Int32(_SC_CLK_TCK)) / 5, "the daemon used \(used) ticks in 1 s while out of descriptors")
        #expect(daemon.log.components(separatedBy: "cannot accept a client").count == 2, "logged more than once: \(daemon.log)")
        held.removeAll()
        let client = try eventually { try DaemonClient(fd: try UnixSocket.connect(to: daemon.socket).get()) }
        #expect(try client.run("experiments", progress: nil, interrupted: { false }).allSatisfy { $0.error == nil })
        client.bye()
        #expect(daemon.log.contains("accepting clients again"), "\(daemon.log)")
    }
}
