// Test support: sessions on fresh state directories, the real binary, and a state fingerprint.

@testable import BanditCommands
import BanditStore
import Foundation
import BanditTestSupport
import Testing

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

    /// Runs a line that must succeed with one file for the client to write; returns the file.
    func file(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> FileReply {
        let outcomes = Interpreter(session: self).run(line)
        for outcome in outcomes where outcome.error != nil {
            Issue.record("\(line): \(outcome.error!)", sourceLocation: sourceLocation)
        }
        guard case .file(let file)? = outcomes.last?.reply else {
            throw FileMissing(description: "\(line) made no file: \(outcomes)")
        }
        return file
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

struct FileMissing: Error, CustomStringConvertible {
    let description: String
}

/// The `bandit` executable built next to this test bundle.
func banditExecutable() throws -> String { try builtExecutable("bandit") }

/// Runs the real program in `directory`.
func runBandit(_ arguments: [String], input: String? = nil, directory: String) throws -> (status: Int32, stdout: String, stderr: String) {
    try runProgram(try banditExecutable(), arguments, input: input, directory: directory)
}
