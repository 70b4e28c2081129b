// Programs a command starts and waits for (a sweep's local shards, squeue): posix_spawn and waitpid.

import CBanditSystem
import Foundation

/// A program this process started, in a session of its own, its output to a file; reaped with
/// `waitpid` for its own pid only. Foundation's `Process` is not used: its monitor waits for children
/// one at a time, so a long-lived one would keep every later one from being reaped.
struct ChildProcess {
    let pid: pid_t
    /// The exit status once reaped: 0–255 for an exit, 128 + the signal for a signal.
    private(set) var status: Int32?

    /// Starts `path` with `arguments`, standard input from /dev/null, standard output and error
    /// appended to `output` (or discarded).
    static func start(_ path: String, _ arguments: [String], output: String?) throws -> ChildProcess {
        var cArguments = ([path] + arguments).map { strdup($0) }
        cArguments.append(nil)
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        let result = bandit_spawn_detached(path, cArguments, output, &pid)
        guard result == 0 else { throw CommandError.failed("cannot start \(path): \(String(cString: strerror(result)))") }
        return ChildProcess(pid: pid, status: nil)
    }

    /// Whether it still runs; reaps it when it has ended.
    mutating func isRunning() -> Bool {
        guard status == nil else { return false }
        var raw: Int32 = 0
        let reaped = waitpid(pid, &raw, WNOHANG)
        guard reaped == pid else { return reaped == 0 }
        let signal = raw & 0x7f
        status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
        return false
    }

    func signal(_ number: Int32) { if status == nil { kill(pid, number) } }

    /// Runs `path` to its end (at most `timeout` seconds, then it is killed) and returns its status and output.
    static func run(_ path: String, _ arguments: [String], timeout: Double) throws -> (status: Int32, output: String) {
        let file = NSTemporaryDirectory() + "bandit-child-\(getpid())-\(UUID().uuidString.prefix(8))"
        defer { unlink(file) }
        var child = try start(path, arguments, output: file)
        let deadline = Date().addingTimeInterval(timeout)
        while child.isRunning() {
            if Date() > deadline { child.signal(SIGKILL) }
            usleep(10_000)
        }
        return (child.status ?? -1, try String(contentsOfFile: file, encoding: .utf8))
    }
}
