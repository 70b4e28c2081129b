// The state commands act on: the store, the live runs, and each client's session.

import BanditCore
import BanditJobs
import BanditStore
import Foundation

/// Everything shared by the sessions of one state directory: the store, the job executor and the
/// live runs in memory (each restored from the store on first use).
public final class Workspace: @unchecked Sendable {
    public let store: Store
    public let executor: JobExecutor
    /// The jobs executing now, in the foreground or the background.
    public let registry = JobRegistry()
    /// Set by a daemon: what `shutdown` does. Nil in a one-shot process.
    public var shutdown: (@Sendable () -> Void)?
    /// Serialises commands that change state; long jobs run outside it.
    let lock = NSRecursiveLock()
    private var live: [Int64: (record: RunRecord, run: Run)] = [:]

    public init(store: Store, threads: Int = Experiment.availableThreads) {
        self.store = store
        self.executor = JobExecutor(store: store, threads: threads)
    }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func experiment(named name: String) throws -> ExperimentRecord {
        guard let experiment = try store.experiment(named: name) else { throw CommandError.failed("no experiment named '\(name)'") }
        return experiment
    }

    /// The experiment's live run, restored from the store when not in memory, drawing from the
    /// experiment's generator as it stands now.
    func liveRun(of experiment: ExperimentRecord) throws -> (record: RunRecord, run: Run)? {
        guard let world = experiment.world else { return nil }
        if var cached = live[experiment.id] {
            cached.run.useGenerator(experiment.generator)
            return cached
        }
        guard let record = try store.liveRun(experimentID: experiment.id) else { return nil }
        let saved = try store.loadRun(id: record.id, world: world)
        var run = Run(world: world, policy: record.policy, oracleValue: world.oracle().best, checkpoint: saved.checkpoint,
                      days: saved.days, history: saved.history)
        run.useGenerator(experiment.generator)
        live[experiment.id] = (record, run)
        return (record, run)
    }

    /// The live run, started now (drawing its initial coefficients) when there is none.
    func ensureLiveRun(of experiment: ExperimentRecord) throws -> (record: RunRecord, run: Run) {
        if let existing = try liveRun(of: experiment) { return existing }
        guard let world = experiment.world else { throw CommandError.failed("no world yet: draw one with 'world'") }
        let run = Run(world: world, policy: experiment.policy, generator: experiment.generator, oracleValue: world.oracle().best)
        let record = try store.startRun(experimentID: experiment.id, jobID: nil, policy: experiment.policy, ordinal: 0,
                                        status: .live, checkpoint: run.checkpoint, world: world)
        live[experiment.id] = (record, run)
        return (record, run)
    }

    func updateLive(_ experimentID: Int64, _ run: Run) {
        live[experimentID]?.run = run
    }

    func forget(experimentID: Int64) { live[experimentID] = nil }
}

extension Session {
    /// Another session on the same workspace, same experiment and directory (for background work).
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

/// One client's view: its current experiment and working directory (for relative paths).
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
            throw CommandError.failed("experiment '\(experiment.name)' has no world yet: draw one with 'world'")
        }
        return (experiment, world)
    }

    /// An absolute path for a file the user named, relative to the client's working directory.
    func resolve(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        return expanded.hasPrefix("/") ? expanded : (workingDirectory as NSString).appendingPathComponent(expanded)
    }
}
