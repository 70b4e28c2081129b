// A client's view of the workspace: its current experiment, its directory, the notices it is owed.

import BanditCore
import BanditStore
import Foundation

extension Session {
    /// Another session on the same workspace, same experiment, directory and notices (for background work).
    func copy() -> Session {
        Session(workspace: workspace, current: current, workingDirectory: workingDirectory, notices: notices)
    }
}

/// One-line notices for a client, shown at its next prompt (a background job it started has ended),
/// as a shell prints `[1]+ Done`. Shared by a session and the copies its background jobs run on;
/// owned by its lock (posted from job threads, taken by the client's command thread).
public final class Notices: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [String] = []

    public init() {}

    public func post(_ notice: String) { lock.withLock { pending.append(notice) } }

    /// The notices posted since the last call, oldest first.
    public func take() -> [String] {
        lock.withLock {
            defer { pending.removeAll() }
            return pending
        }
    }
}

/// One client's view: its current experiment and working directory (as its hello said; no command
/// resolves a path against it: the client writes its files itself). Owned by the client's command
/// thread: a client runs one command at a time.
public final class Session: @unchecked Sendable {
    public let workspace: Workspace
    public var current: String?
    public var workingDirectory: String
    /// What this client should be told at its next prompt.
    public let notices: Notices

    public init(workspace: Workspace, current: String? = nil, workingDirectory: String = FileManager.default.currentDirectoryPath,
                notices: Notices = Notices()) {
        self.workspace = workspace
        self.current = current
        self.workingDirectory = workingDirectory
        self.notices = notices
    }

    /// The current experiment, or a clear error.
    func currentExperiment() throws -> ExperimentRecord {
        guard let name = current else {
            throw CommandError.failed("no current experiment: create one with 'new NAME' or choose one with 'use NAME'")
        }
        guard let experiment = try workspace.store.experiment(named: name) else {
            current = nil
            throw CommandError.failed("the current experiment '\(name)' no longer exists; 'use NAME' another")
        }
        return experiment
    }

    /// The current experiment and its world, or a clear error.
    func currentWorld() throws -> (ExperimentRecord, World) {
        let experiment = try currentExperiment()
        guard let world = experiment.world else {
            if let log = try workspace.store.importedLog(experimentID: experiment.id) { throw Self.noWorld(experiment, log) }
            throw CommandError.failed("experiment '\(experiment.name)' has no world yet: draw one with 'world'")
        }
        return (experiment, world)
    }

    /// An experiment of imported logs has no world: nothing can be simulated in it.
    static func noWorld(_ experiment: ExperimentRecord, _ log: ImportedLog) -> CommandError {
        .failed("experiment '\(experiment.name)' holds logs imported from \(log.file): it has no world to simulate "
                + "('evaluate TARGET' estimates policies from the logs; 'new NAME' starts a simulated experiment)")
    }
}
