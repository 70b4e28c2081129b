// The one job engine: every long command (runs, compare, day, step, resume) played, committed day by day, resumed exactly.

import BanditCore
import BanditStore
import Foundation

/// How an execution ended.
public enum JobOutcome: Sendable, Equatable {
    /// A `runs` job: its curves, now the experiment's results.
    case finished([Curve])
    /// A `day` or `step` job: the days it played (all of the job's days are now committed).
    case played([DaySummary])
    /// Stopped at a day boundary; every completed day is committed and `resume` continues it.
    case stopped(JobStop)
}

/// Why a job stops before its end.
public enum JobStop: Sendable, Equatable {
    /// `cancel` or Ctrl-C: stored as `cancelled`.
    case cancelled
    /// The process is stopping: stored as `interrupted`, resumed when a daemon starts again.
    case interrupted

    var state: JobState { self == .cancelled ? .cancelled : .interrupted }
    var message: String { self == .cancelled ? "stopped by the user" : "the daemon stopped" }
}

/// A live run in memory with its stored record: what `day` and `step` jobs play.
public struct LiveRun: Sendable {
    public var record: RunRecord
    public var run: Run

    public init(record: RunRecord, run: Run) {
        self.record = record
        self.run = run
    }
}

/// Executes jobs: creates or continues each run, plays its days, and commits every day with its
/// decisions and the checkpoint after its fit through a `CommitQueue` (on a writer thread), so that
/// a crash loses only days not yet committed, which resumption plays again. It also keeps the job's
/// stored state: `running` while it plays, then finished, cancelled, interrupted or failed (with the
/// error's sentence).
///
/// Which generator each run starts from is fixed by `Experiment.scheduleRuns`, the same rule as an
/// in-memory compare, never by timing: a continued job ends bit for bit where an uninterrupted one would.
public struct JobExecutor: Sendable {
    public let store: Store
    public var threads: Int
    /// The most days one transaction commits (group commit; 1: a transaction per day).
    public var batchLimit: Int

    public init(store: Store, threads: Int = Experiment.availableThreads, batchLimit: Int = Footprint.commitBatchDays) {
        self.store = store
        self.threads = max(1, threads)
        self.batchLimit = max(1, batchLimit)
    }

    /// The writer of a job's days: a queue as long as `Footprint.queuedDays` says for the job's largest
    /// day, committing up to `batchLimit` days at a time.
    fileprivate func commitQueue(
        _ job: JobRecord, world: World, daysDone: Int, progress: (@Sendable (Int, Int) -> Void)?
    ) -> CommitQueue {
        let checkpoint = job.policies.map { Footprint.checkpointBytes(world: world, policy: $0, kind: job.startGenerator.kind) }.max() ?? 0
        return CommitQueue(store: store, world: world, jobID: job.id, daysDone: daysDone, daysTotal: job.daysTotal, keeping: job.keep,
                           progress: progress,
                           capacity: Footprint.queuedDays(decisionsPerDay: job.schedule.decisionsPerDay, checkpointBytes: checkpoint),
                           batchLimit: batchLimit)
    }

    /// Records a job for `policies` on the experiment, starting from its current generator.
    public func create(
        experiment: ExperimentRecord, command: String, policies: [Policy], schedule: Schedule
    ) throws(StoreError) -> JobRecord {
        try store.createJob(experimentID: experiment.id, command: command, policies: policies, schedule: schedule,
                            startGenerator: experiment.generator, keep: experiment.keep)
    }

    /// Executes a `runs` job, or continues it from where it stopped.
    public func execute(
        jobID: Int64, shouldStop: @escaping @Sendable () -> JobStop? = { nil },
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws -> JobOutcome {
        var none: LiveRun?
        return try execute(jobID: jobID, live: &none, shouldStop: shouldStop, progress: progress)
    }

    /// Executes a job, or continues it from where it stopped, until it ends or `shouldStop` asks at a
    /// day boundary. `live` is the live run a `day` or `step` job plays (it plays on in place);
    /// `progress` receives (days committed, days in all).
    ///
    /// On an error the job is stored as failed with the error's sentence, or as interrupted when the
    /// error may pass (a full disk, an I/O error) so that `resume` can continue it; the error is
    /// rethrown, together with the state's own failure if that could not be stored either. A damaged
    /// store stores nothing more: the job is left as it was stored, `running`.
    public func execute(
        jobID: Int64, live: inout LiveRun?, shouldStop: @escaping @Sendable () -> JobStop? = { nil },
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws -> JobOutcome {
        guard let job = try store.job(id: jobID) else { throw StoreError.noSuchJob(jobID) }
        guard let experiment = try store.experiment(id: job.experimentID), let world = experiment.world else {
            throw StoreError.corrupt(path: store.path, detail: "job \(jobID) has no experiment with a world")
        }
        guard job.state != .finished && (job.state != .failed || job.isRetryable) else {
            throw JobError.notResumable(jobID, job.state)
        }
        if job.kind != .runs {
            guard let run = live, run.record.id == job.liveRunID else { throw JobError.liveRunReplaced(jobID) }
        }
        try store.setJobState(id: jobID, .running, resuming: job.state != .running)
        do {
            let outcome: JobOutcome
            if job.kind == .runs {
                outcome = try Play(executor: self, job: job, world: world, shouldStop: shouldStop, progress: progress)
                    .runs(threads: threads)
            } else {
                outcome = try playLive(job, run: &live!, world: world, shouldStop: shouldStop, progress: progress)
            }
            if case .stopped(let stop) = outcome { try store.setJobState(id: jobID, stop.state, message: stop.message) }
            return outcome
        } catch {
            // A damaged store refuses every write, this job's state too: the job stays stored as
            // running (listed as interrupted) and is told so, once, instead of a refusal of the refusal.
            if case .damaged? = error as? StoreError { throw JobError.stoppedByDamage(jobID, "\(error)") }
            let passing = (error as? StoreError).map { if case .full = $0 { true } else if case .io = $0 { true } else { false } } ?? false
            do {
                try store.setJobState(id: jobID, passing ? .interrupted : .failed, message: "\(error)")
            } catch let stateError {
                throw JobError.stateLost(error: "\(error)", state: "\(stateError)")
            }
            throw error
        }
    }

    /// D days of the live run, each committed (after its fit, for `step`) with the run's picks.
    private func playLive(
        _ job: JobRecord, run live: inout LiveRun, world: World, shouldStop: @Sendable () -> JobStop?,
        progress: (@Sendable (Int, Int) -> Void)?
    ) throws -> JobOutcome {
        let commits = commitQueue(job, world: world, daysDone: job.daysDone, progress: progress)
        var played: [DaySummary] = []
        var stop: JobStop?
        for _ in job.daysDone..<job.daysTotal {
            if let asked = shouldStop() {
                stop = asked
                break
            }
            let summary = live.run.playDay(decisions: job.schedule.decisionsPerDay)
            if job.kind == .step { live.run.fit() }
            do {
                try commits.commitDay(run: live.record, summary: summary, decisions: live.run.lastDay,
                                      checkpoint: live.run.checkpoint, picks: live.run.recommender.counts)
            } catch {
                break  // The writer failed: `finish` returns its error.
            }
            live.record.daysPlayed = summary.day
            played.append(summary)
        }
        if let failure = commits.finish() { throw failure }
        if let stop { return .stopped(stop) }
        try store.finishLiveJob(job.id)
        return .played(played)
    }
}

/// Why a job cannot execute.
public enum JobError: Error, CustomStringConvertible, Sendable, Equatable {
    case notResumable(Int64, JobState)
    case liveRunReplaced(Int64)
    case stateLost(error: String, state: String)
    /// The store found its file damaged while the job played: it stopped, and no state could be stored.
    case stoppedByDamage(Int64, String)

    public var description: String {
        switch self {
        case .notResumable(let id, let state): "job \(id) is \(state.rawValue): nothing to continue"
        case .liveRunReplaced(let id): "job \(id): its live run was replaced (policy, reset or world): nothing to continue"
        case .stateLost(let error, let state): "\(error) (and the job's state could not be stored: \(state))"
        case .stoppedByDamage(let id, let damage): "job \(id) stopped, its state not stored (no more writes): \(damage)"
        }
    }
}

/// One execution of a `runs` job: its runs scheduled by the engine's rule, each created or
/// continued from the store and committed day by day.
private struct Play: Sendable {
    let executor: JobExecutor
    var store: Store { executor.store }
    let job: JobRecord
    let world: World
    let shouldStop: @Sendable () -> JobStop?
    let progress: (@Sendable (Int, Int) -> Void)?

    func runs(threads: Int) throws -> JobOutcome {
        let oracle = world.oracle().best
        let stored = try store.runs(jobID: job.id)
        let existing = Dictionary(stored.map { (Self.key($0.policy, $0.ordinal), $0) }, uniquingKeysWith: { first, _ in first })
        let commits = executor.commitQueue(job, world: world, daysDone: stored.reduce(0) { $0 + $1.daysPlayed }, progress: progress)
        let policies = job.policies
        var generator = job.startGenerator
        let stop = StopLatch(shouldStop)
        let daily: [[[Double]]]?
        do {
            daily = try Experiment.scheduleRuns(policies: policies.count, runs: job.schedule.runs, ordinals: job.ordinals,
                                                generator: &generator, threads: threads) { slot, start throws in
                try play(policies[slot.policy], ordinal: slot.ordinal, fresh: start, existing: existing[Self.key(policies[slot.policy], slot.ordinal)],
                         oracle: oracle, commits: commits, stop: stop)
            }
        } catch {
            // A run's own failure, or the writer's (which makes the runs fail): the writer's comes first.
            throw commits.finish() ?? error
        }
        if let failure = commits.finish() { throw failure }
        guard let daily else { return .stopped(stop.reason ?? .interrupted) }
        let curves = policies.indices.map { Curve(label: policies[$0].label, dailyMeans: daily[$0]) }
        // A shard's curves are of its runs only: the sweep's come from merging every shard.
        try store.finishJob(job, curves: job.ordinals == nil ? curves : [], experimentGenerator: generator)
        return .finished(curves)
    }

    static func key(_ policy: Policy, _ ordinal: Int) -> String { "\(policy.label)#\(ordinal)" }

    /// Plays one run to its last day, creating it from `fresh` or continuing it from the store.
    /// Returns its daily means and its final generator, or nil when stopped.
    private func play(
        _ policy: Policy, ordinal: Int, fresh: Generator, existing: RunRecord?, oracle: Double, commits: CommitQueue,
        stop: StopLatch
    ) throws -> (daily: [Double], end: Generator)? {
        let schedule = job.schedule
        var run: Run
        let record: RunRecord
        if let stored = existing {
            if stored.status == .finished {
                let checkpoint = try store.latestCheckpoint(runID: stored.id, world: world)
                return (try store.dailyMeans(runID: stored.id), checkpoint.generator)
            }
            let saved = try store.loadRun(id: stored.id, world: world)
            run = Run(world: world, policy: policy, oracleValue: oracle, ridge: schedule.ridge, warmup: schedule.warmup,
                      checkpoint: saved.checkpoint, days: saved.days, history: saved.history)
            record = stored
        } else {
            run = Run(world: world, policy: policy, generator: fresh, oracleValue: oracle, ridge: schedule.ridge,
                      warmup: schedule.warmup)
            record = try store.startRun(experimentID: job.experimentID, jobID: job.id, policy: policy, ordinal: ordinal,
                                        status: .running, checkpoint: run.checkpoint, world: world)
        }
        while run.days.count < schedule.days {
            if stop.asked() { return nil }
            let summary = run.playDay(decisions: schedule.decisionsPerDay)
            run.fit()
            try commits.commitDay(run: record, summary: summary, decisions: run.lastDay, checkpoint: run.checkpoint)
        }
        try commits.endRun(record)
        return (run.days.map(\.meanViewingTime), run.generator)
    }
}

/// Remembers the first stop asked of a job's runs, so that every run stops for the same reason.
private final class StopLatch: @unchecked Sendable {
    private let ask: @Sendable () -> JobStop?
    private let lock = NSLock()
    /// Owned by `lock`: set once by whichever run thread first sees a stop.
    private var first: JobStop?

    init(_ ask: @escaping @Sendable () -> JobStop?) { self.ask = ask }

    func asked() -> Bool {
        if reason != nil { return true }
        guard let stop = ask() else { return false }
        lock.withLock { if first == nil { first = stop } }
        return true
    }

    var reason: JobStop? { lock.withLock { first } }
}
