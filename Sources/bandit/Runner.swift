// Where commands execute: in the daemon over its socket, or in this process (--no-daemon).

import BanditCommands
import BanditServer
import BanditStore
import Foundation

/// Executes lines of commands for the REPL and scripts.
protocol Runner: AnyObject {
    var prompt: String { get }
    func run(_ line: String, progress: (@Sendable (JobProgress) -> Void)?, shouldStop: @escaping @Sendable () -> Bool) -> [Outcome]
    func complete(_ line: String) -> Completion
    func close()
}

/// The engine in this process, on the state directory's store.
final class LocalRunner: Runner {
    let interpreter: Interpreter

    init(stateDirectory: String) throws {
        interpreter = Interpreter(session: Session(workspace: Workspace(store: try Store(directory: stateDirectory))))
    }

    var prompt: String { interpreter.prompt }

    func run(_ line: String, progress: (@Sendable (JobProgress) -> Void)?, shouldStop: @escaping @Sendable () -> Bool) -> [Outcome] {
        interpreter.run(line, progress: progress, shouldStop: shouldStop)
    }

    func complete(_ line: String) -> Completion {
        let store = interpreter.session.workspace.store
        return Command.complete(line) { (try? store.experiments().map(\.experiment.name)) ?? [] }
    }

    /// Background jobs finish before a one-shot process leaves.
    func close() {
        interpreter.session.workspace.registry.waitForBackground()
        interpreter.session.workspace.store.close()
    }
}

/// The daemon of the state directory, started when none answers.
final class RemoteRunner: Runner {
    private var client: DaemonClient
    private let stateDirectory: String
    private let daemonPath: String

    init(stateDirectory: String, daemonPath: String) throws {
        self.stateDirectory = stateDirectory
        self.daemonPath = daemonPath
        client = try DaemonClient.connect(stateDirectory: stateDirectory, daemonPath: daemonPath)
    }

    var prompt: String { client.prompt }

    func run(_ line: String, progress: (@Sendable (JobProgress) -> Void)?, shouldStop: @escaping @Sendable () -> Bool) -> [Outcome] {
        do {
            return try client.run(line, progress: progress, interrupted: shouldStop)
        } catch {
            // The daemon went away (shut down, crashed): say so; the next command starts a new one.
            if let fresh = try? DaemonClient.connect(stateDirectory: stateDirectory, daemonPath: daemonPath) { client = fresh }
            return [Outcome(command: line, reply: .empty, error: "lost the daemon (\(error)); run the command again", quit: false)]
        }
    }

    func complete(_ line: String) -> Completion {
        (try? client.complete(line)) ?? Completion(candidates: [], files: false)
    }

    func close() { client.bye() }
}
