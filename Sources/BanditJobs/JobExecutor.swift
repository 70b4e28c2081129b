// Long work against a store: R runs × D days per policy, committed day by day, resumable exactly.

import BanditCore
import BanditStore
import Dispatch
import Foundation

/// How an execution ended.
public enum JobOutcome: Sendable, Equatable {
    case finished([Curve])
    /// Stopped at a day boundary because `shouldStop` said so; completed days are kept.
    case stopped
}

/// Executes jobs: creates or continues each run, plays its days, and commits every day with its
/// decisions and the checkpoint after its fit (through a `CommitQueue`, on a writer thread), so that a
/// crash loses only days not yet committed, which resumption plays again.
///
/// Which generator each run starts from is fixed by the job, never by timing: with `numpy`, every
/// policy starts from the job's start generator and each run continues the previous run's stream
/// (the notebook's `run_sequences`), so policies execute in parallel; with `default`, one key is
/// drawn from the start generator and run r of every policy uses the stream (key, r), so runs
/// execute in parallel. A continued job therefore ends bit for bit where an uninterrupted one would.
public struct JobExecutor: Sendable {
    public let store: Store
    public var threads: Int

    public init(store: Store, threads: Int = Experiment.availableThreads) {
        self.store = store
        self.threads = max(1, threads)
    }

    /// Records a job for `policies` on the experiment, starting from its current generator.
    public func create(
        experiment: ExperimentRecord, command: String, policies: [Policy], schedule: Schedule
    ) throws(StoreError) -> JobRecord {
        try store.createJob(experimentID: experiment.id, command: command, policies: policies, schedule: schedule,
                            startGenerator: experiment.generator)
    }

    /// Executes a job, or continues it from where it stopped, until it finishes or `shouldStop`
    /// returns true at a day boundary. `progress` receives (days done, days in all).
    public func execute(
        jobID: Int64, shouldStop: @escaping @Sendable () -> Bool = { false },
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws -> JobOutcome {
        guard var job = try store.job(id: jobID) else { throw StoreError.noSuchJob(jobID) }
        guard let experiment = try store.experiment(id: job.experimentID), let world = experiment.world else {
            throw StoreError.corrupt(path: store.path, detail: "job \(jobID) has no experiment with a world")
        }
        guard job.state != .finished && job.state != .failed else {
            throw StoreError.database(path: store.path, detail: "job \(jobID) is \(job.state.rawValue): nothing to continue")
        }
        // On failure the job returns to how it was (a new job counts as interrupted), to be resumed.
        let previous = job.state == .running ? JobState.interrupted : job.state
        if job.state != .running {
            try store.setJobState(id: jobID, .running, resuming: job.state.isResumable)
            job.state = .running
        }
        let context = Context(store: store, job: job, world: world, oracle: world.oracle().best,
                              existing: try store.runs(jobID: jobID), shouldStop: shouldStop, progress: progress)
        do {
            let outcome: JobOutcome
            switch job.startGenerator {
            case .numpy: outcome = try context.executeByPolicy(threads: threads)
            case .fast(var master):
                let key = master.next()
                outcome = try context.executeInParallel(key: key, endGenerator: .fast(master), threads: threads)
            }
            return outcome
        } catch {
            try? store.setJobState(id: jobID, previous, message: "\(error)")
            throw error
        }
    }
}

/// One execution of one job.
private final class Context: @unchecked Sendable {
    let store: Store
    let job: JobRecord
    let world: World
    let oracle: Double
    let shouldStop: @Sendable () -> Bool
    let progress: (@Sendable (Int, Int) -> Void)?
    private var existing: [String: RunRecord] = [:]
    private let lock = NSLock()
    /// Where runs hand over their days (created per execution: its thread ends with `finish`).
    private let commits: CommitQueue

    init(store: Store, job: JobRecord, world: World, oracle: Double, existing: [RunRecord],
         shouldStop: @escaping @Sendable () -> Bool, progress: (@Sendable (Int, Int) -> Void)?) {
        self.store = store
        self.job = job
        self.world = world
        self.oracle = oracle
        self.shouldStop = shouldStop
        self.progress = progress
        for run in existing { self.existing[Self.key(run.policy, run.ordinal)] = run }
        commits = CommitQueue(store: store, world: world, jobID: job.id, daysDone: existing.reduce(0) { $0 + $1.daysPlayed },
                              daysTotal: job.daysTotal, progress: progress, capacity: 8)
    }

    static func key(_ policy: Policy, _ ordinal: Int) -> String { "\(policy.label)#\(ordinal)" }

    /// numpy: one stream per policy, run after run, each policy from the job's start; policies are
    /// independent, so they execute in parallel, and the experiment's generator ends where the last
    /// policy's stream ended.
    func executeByPolicy(threads: Int) throws -> JobOutcome {
        let policies = job.policies, runs = job.schedule.runs
        let gathered = Gathered<(daily: [[Double]], end: Generator)>(count: policies.count)
        let workers = max(1, min(threads, policies.count))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            policies: for index in stride(from: worker, to: policies.count, by: workers) {
                var generator = job.startGenerator
                var means: [[Double]] = []
                for ordinal in 0..<runs {
                    if gathered.failed { return }
                    do {
                        guard let (daily, next) = try play(policy: policies[index], ordinal: ordinal, fresh: generator) else {
                            continue policies
                        }
                        means.append(daily)
                        generator = next
                    } catch {
                        gathered.fail(error)
                        return
                    }
                }
                gathered.store((means, generator), at: index)
            }
        }
        try commits.finish()
        if let failure = gathered.failure { throw failure }
        guard let played = gathered.complete else { return .stopped }
        let curves = policies.indices.map { Curve(label: policies[$0].label, dailyMeans: played[$0].daily) }
        try store.finishJob(job, curves: curves, experimentGenerator: played[played.count - 1].end)
        return .finished(curves)
    }

    /// default: every (policy, run) from its own stream, on up to `threads` threads.
    func executeInParallel(key: UInt64, endGenerator: Generator, threads: Int) throws -> JobOutcome {
        let policies = job.policies, runs = job.schedule.runs
        let tasks = policies.count * runs
        let gathered = Gathered<[Double]>(count: tasks)
        let workers = max(1, min(threads, tasks))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: tasks, by: workers) {
                if gathered.failed || shouldStop() { return }
                let policy = policies[index / runs], ordinal = index % runs
                do {
                    let stream = Generator.fast(Xoshiro256(key: key, stream: UInt64(ordinal)))
                    if let outcome = try play(policy: policy, ordinal: ordinal, fresh: stream) {
                        gathered.store(outcome.daily, at: index)
                    }
                } catch {
                    gathered.fail(error)
                }
            }
        }
        try commits.finish()
        if let failure = gathered.failure { throw failure }
        guard let daily = gathered.complete else { return .stopped }
        let curves = policies.indices.map { p in
            Curve(label: policies[p].label, dailyMeans: Array(daily[(p * runs)..<((p + 1) * runs)]))
        }
        try store.finishJob(job, curves: curves, experimentGenerator: endGenerator)
        return .finished(curves)
    }

    /// Plays one run to its last day, creating it from `fresh` or continuing it from the store.
    /// Returns its daily means and its final generator, or nil when stopped.
    private func play(policy: Policy, ordinal: Int, fresh: Generator) throws -> (daily: [Double], generator: Generator)? {
        let schedule = job.schedule
        var run: Run
        let record: RunRecord
        if let stored = existingRun(policy, ordinal) {
            if stored.status == .finished {
                let checkpoint = try store.latestCheckpoint(runID: stored.id, world: world)
                return (try store.dailyMeans(runID: stored.id), checkpoint.generator)
            }
            let saved = try store.loadRun(id: stored.id, world: world)
            run = Run(world: world, policy: policy, oracleValue: oracle, checkpoint: saved.checkpoint,
                      days: saved.days, history: saved.history)
            record = stored
        } else {
            run = Run(world: world, policy: policy, generator: fresh, oracleValue: oracle)
            record = try store.startRun(experimentID: job.experimentID, jobID: job.id, policy: policy, ordinal: ordinal,
                                        status: .running, checkpoint: run.checkpoint, world: world)
        }
        while run.days.count < schedule.days {
            if shouldStop() { return nil }
            let summary = run.playDay(decisions: schedule.decisionsPerDay)
            run.fit()
            try commits.commitDay(run: record, summary: summary, decisions: run.lastDay, checkpoint: run.checkpoint)
        }
        try commits.endRun(record)
        return (run.days.map(\.meanViewingTime), run.generator)
    }

    private func existingRun(_ policy: Policy, _ ordinal: Int) -> RunRecord? {
        lock.lock()
        defer { lock.unlock() }
        return existing[Self.key(policy, ordinal)]
    }
}

/// What parallel work hands back: each task's result, or the first error.
private final class Gathered<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Value?]
    private var error: (any Error)?

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func store(_ value: Value, at index: Int) {
        lock.lock()
        defer { lock.unlock() }
        results[index] = value
    }

    func fail(_ error: any Error) {
        lock.lock()
        defer { lock.unlock() }
        if self.error == nil { self.error = error }
    }

    var failed: Bool { failure != nil }

    var failure: (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        return error
    }

    /// Every task's result, when all finished.
    var complete: [Value]? {
        lock.lock()
        defer { lock.unlock() }
        let all = results.compactMap { $0 }
        return all.count == results.count ? all : nil
    }
}
