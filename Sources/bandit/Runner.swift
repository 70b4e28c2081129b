// Where commands execute: in the daemon over its socket, or in this process (--no-daemon).

import BanditCommands
import BanditServer
import BanditStore
import Foundation
import Synchronization

/// Executes lines of commands for the REPL and scripts.
protocol Runner: AnyObject {
    var prompt: String { get }
    /// Runs a line, handing each piece of each command's outcome to `show` as it comes, with the
    /// command's index in the line (a long reply in several pieces that print as the whole would; a
    /// failed command's error in one), and returns the notices to print before the next prompt.
    func run(_ line: String, progress: (@Sendable (JobProgress) -> Void)?, shouldStop: @escaping @Sendable () -> Bool,
             show: (Int, Outcome) -> Void) -> [String]
    func complete(_ line: String) -> Completion
    func close()
}

extension Runner {
    /// Makes `name` the current experiment, quietly (bandit -e NAME); its error, if any.
    func use(_ name: String) -> String? {
        // Sent as a line: a name that is not one (`a; drop b`) must never become commands.
        guard isValidName(name) else { return "no experiment named '\(echo(name))'" }
        var failure: String?
        _ = run("use \(name)", progress: nil, shouldStop: { false }) { _, piece in failure = failure ?? piece.error }
        return failure
    }
}

/// The engine in this process, on the state directory's store.
final class LocalRunner: Runner {
    let interpreter: Interpreter

    init(stateDirectory: String, threads: Int, limits: ResourceLimits) throws {
        let workspace = Workspace(store: try Store(directory: stateDirectory), threads: threads, limits: limits)
        interpreter = Interpreter(session: Session(workspace: workspace))
    }

    var prompt: String { interpreter.prompt }

    /// The same pieces the daemon would send, cut by Ctrl-C as the daemon cuts them: a Ctrl-C
    /// that stopped a command leaves its reply (where it stopped) whole; any other cuts the reply.
    func run(_ line: String, progress: (@Sendable (JobProgress) -> Void)?, shouldStop: @escaping @Sendable () -> Bool,
             show: (Int, Outcome) -> Void) -> [String] {
        let heeded = Heeded()
        let outcomes = interpreter.run(line, progress: progress, shouldStop: {
            guard shouldStop() else { return false }
            heeded.flag.store(true, ordering: .relaxed)
            return true
        })
        let notices = interpreter.session.notices.take()
        let whole = heeded.flag.load(ordering: .relaxed)
        for (index, outcome) in outcomes.enumerated() {
            for piece in Wire.parts(of: outcome, line: line) {
                if !whole && shouldStop() { return notices }
                show(index, piece)
            }
        }
        return notices
    }

    func complete(_ line: String) -> Completion {
        let session = interpreter.session
        return Command.complete(line, source: .workspace(session.workspace, current: session.current))
    }

    /// Background jobs finish before a one-shot process leaves.
    func close() {
        interpreter.session.workspace.registry.waitForBackground()
        interpreter.session.workspace.store.close()
    }
}

/// Whether a command of the line saw Ctrl-C (set from the threads the command runs on).
private final class Heeded: Sendable {
    let flag = Atomic<Bool>(false)
}

/// The daemon of the state directory, started when none answers.
final class RemoteRunner: Runner {
    /// The connection; nil after one was given up, until the next command connects again. Owned by
    /// the thread that runs lines (the REPL's or the script's).
    private var client: DaemonClient?
    /// The prompt of the last connection, shown while there is none.
    private var lastPrompt: String
    private let stateDirectory: String
    private let daemonPath: String

    init(stateDirectory: String, daemonPath: String) throws {
        self.stateDirectory = stateDirectory
        self.daemonPath = daemonPath
        let client = try DaemonClient.connect(stateDirectory: stateDirectory, daemonPath: daemonPath)
        self.client = client
        lastPrompt = client.prompt
    }

    var prompt: String { client?.prompt ?? lastPrompt }

    func run(_ line: String, progress: (@Sendable (JobProgress) -> Void)?, shouldStop: @escaping @Sendable () -> Bool,
             show: (Int, Outcome) -> Void) -> [String] {
        func fail(_ error: String) -> [String] {
            show(0, Outcome(command: echo(line), reply: .empty, error: error, quit: false))
            return []
        }
        let client: DaemonClient
        var restored: [String] = []
        if let current = self.client {
            client = current
        } else {
            do {
                (client, restored) = try reconnect()
            } catch {
                return fail("cannot reach the daemon: \(error)")
            }
        }
        do {
            return try restored + client.run(line, progress: progress, interrupted: shouldStop, part: show)
        } catch let error as WireError where error.kind == .timedOut {
            // The daemon may be stuck: waiting for it again now would hang the prompt; the next
            // command connects afresh.
            give(up: client)
            return fail("\(error)")
        } catch {
            // The daemon went away (shut down, crashed): say so, and connect now, so that the next
            // prompt is the new session's; if that fails too, the next command tries again and says why.
            give(up: client)
            var restored: [String] = []
            do {
                (_, restored) = try reconnect()
            } catch {
                // Reported by the next command, which tries again.
            }
            return fail("lost the daemon (\(error)); run the command again") + restored
        }
    }

    /// A new connection (a new daemon, maybe), in the experiment the last one had chosen; the
    /// notice when that experiment is gone.
    private func reconnect() throws -> (DaemonClient, [String]) {
        let client = try DaemonClient.connect(stateDirectory: stateDirectory, daemonPath: daemonPath)
        self.client = client
        guard let name = Interpreter.experiment(inPrompt: lastPrompt),
              Interpreter.experiment(inPrompt: client.prompt) != name else { return (client, []) }
        if let error = try select(name, on: client) { return (client, ["could not use \(name) again: \(error)"]) }
        return (client, [])
    }

    /// Makes `name` the connection's current experiment, quietly; its error, if any.
    private func select(_ name: String, on client: DaemonClient) throws -> String? {
        var failure: String?
        _ = try client.run("use \(name)", progress: nil, interrupted: { false }) { _, piece in failure = failure ?? piece.error }
        return failure
    }


    private func give(up client: DaemonClient) {
        lastPrompt = client.prompt
        self.client = nil
    }

    func complete(_ line: String) -> Completion {
        guard let client else { return Completion(candidates: [], files: false) }
        do {
            return try client.complete(line)
        } catch {
            // Completion happens mid-line, where nothing may be printed: offer nothing, and let the
            // next command connect again and report what is wrong.
            give(up: client)
            return Completion(candidates: [], files: false)
        }
    }

    func close() { client?.bye() }
}
