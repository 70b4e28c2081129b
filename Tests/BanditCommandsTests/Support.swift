// Test support: sessions on fresh state directories, the real binary, and a state fingerprint.

@testable import BanditCommands
import BanditStore
import Foundation
import Testing

func temporaryDirectory(_ function: String = #function) -> String {
    let path = NSTemporaryDirectory() + "bandit-cmd-\(function.prefix(16).filter(\.isLetter))-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// A session on a fresh store; close the store when done.
func makeSession(_ directory: String = temporaryDirectory()) throws -> Session {
    Session(workspace: Workspace(store: try Store(directory: directory), threads: 2), workingDirectory: directory)
}

extension Session {
    /// Runs a line and returns its outcomes' text, failing the test on an error.
    @discardableResult
    func must(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let outcomes = Interpreter(session: self).run(line)
        for outcome in outcomes where outcome.error != nil {
            Issue.record("\(line): \(outcome.error!)", sourceLocation: sourceLocation)
        }
        return outcomes.map(\.reply.plainText).joined(separator: "\n")
    }

    /// Runs a line that must fail; returns its error.
    func refused(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let outcomes = Interpreter(session: self).run(line)
        guard let error = outcomes.last?.error else {
            Issue.record("\(line) was accepted", sourceLocation: sourceLocation)
            return ""
        }
        return error
    }

    /// Everything a command could change: the session's current experiment and the database's rows.
    func fingerprint() throws -> [String] {
        let store = workspace.store
        var rows = ["current=\(current ?? "-")"]
        rows += try store.sql("SELECT name, seed, hex(generator_state), features, actions, noise, hex(weights), decisions_per_day, days, runs, policy FROM experiments ORDER BY id").map { $0.joined(separator: "|") }
        for table in ["runs", "days", "decisions", "checkpoints", "results", "result_days", "jobs"] {
            rows += try store.sql("SELECT count(*) FROM \(table)").map { "\(table)=\($0[0])" }
        }
        rows += try store.sql("SELECT id, status, days_played FROM runs ORDER BY id").map { $0.joined(separator: "|") }
        rows += try store.sql("SELECT id, state, days_done FROM jobs ORDER BY id").map { $0.joined(separator: "|") }
        return rows
    }
}

/// The `bandit` executable built next to this test bundle.
func banditExecutable() throws -> String {
    let tests = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = tests.deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent("bandit").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    throw CommandError.failed("bandit executable not found next to \(tests.path)")
}

/// Runs the real program; returns its status, standard output and standard error.
func runBandit(_ arguments: [String], input: String? = nil, directory: String) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try banditExecutable())
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let output = Pipe(), errors = Pipe(), feed = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = input == nil ? FileHandle.nullDevice : feed
    try process.run()
    if let input {
        feed.fileHandleForWriting.write(Data(input.utf8))
        try feed.fileHandleForWriting.close()
    }
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
}

/// Stops the daemon of a state directory (SIGTERM via its pid file) and waits until it is gone.
func stopDaemon(_ stateDirectory: String) {
    guard let text = try? String(contentsOfFile: stateDirectory + "/banditd.pid", encoding: .utf8),
          let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return }
    kill(pid, SIGTERM)
    for _ in 0..<500 where kill(pid, 0) == 0 { usleep(20_000) }
}
