// The records the store keeps: experiments, jobs, runs and stored results.

import BanditCore

/// An experiment: its generator, its world once drawn, its protocol settings and its live policy.
public struct ExperimentRecord: Sendable, Equatable {
    public let id: Int64
    public var name: String
    public var seed: UInt32
    /// The experiment's generator as it stands between commands.
    public var generator: Generator
    public var world: World?
    public var schedule: Schedule
    /// The policy of the live run.
    public var policy: Policy
    /// What its `runs` jobs keep of each finished run (`set keep`).
    public var keep: DecisionKeeping = .decisions

    public var kind: GeneratorKind { generator.kind }
}

/// An experiment with what it holds, for listings.
public struct ExperimentSummary: Sendable, Equatable {
    public var experiment: ExperimentRecord
    public var daysLogged: Int
    public var results: [String]
    /// For an experiment of imported logs, the file they came from.
    public var importedFrom: String?
}

public enum JobState: String, Sendable, CaseIterable {
    case running, interrupted, cancelled, finished, failed

    /// Whether `resume` can continue it.
    public var isResumable: Bool { self == .interrupted || self == .cancelled }
}

/// What a job does.
public enum JobKind: String, Sendable {
    /// R runs of D days for one or more policies (`runs`, `compare`).
    case runs
    /// D more days of the live run, without (`day`) or with (`step`) a fit after each.
    case day, step
}

/// Long work: R runs of D days for one or more policies, or D days of the live run; how far it got.
public struct JobRecord: Sendable, Equatable {
    public let id: Int64
    public let experimentID: Int64
    /// The command as typed, e.g. `compare greedy ts:30 runs 40`.
    public var command: String
    public var kind: JobKind
    /// For `day` and `step` jobs: the live run they play.
    public var liveRunID: Int64?
    public var policies: [Policy]
    public var schedule: Schedule
    /// The experiment's generator when the job started: every policy starts from it.
    public var startGenerator: Generator
    public var state: JobState
    public var daysDone: Int
    public var daysTotal: Int
    /// How many times it was resumed after an interruption or a cancel.
    public var resumed: Int
    public var message: String?
    /// How many times in a row the process died while it ran, without completing a day in between.
    public var crashes: Int
    /// The ordinals of each policy's runs this job plays, when it is a shard of a sweep (nil: all
    /// `schedule.runs` of them).
    public var ordinals: Range<Int>?
    /// What it keeps of each run once the run has finished: the experiment's `keep` when it started.
    public var keep: DecisionKeeping = .decisions

    /// Deaths in a row after which a job is no longer resumed automatically.
    public static let crashLimit = 2

    /// Failed because it kept killing its process: only an explicit `resume J` continues it.
    public var isRetryable: Bool { state == .failed && crashes >= Self.crashLimit }
}

public enum RunStatus: String, Sendable {
    /// The REPL's run, played day by day.
    case live
    /// A run of a job, in progress.
    case running
    case finished
    /// A live run replaced by a reset or a new policy.
    case retired
}

/// What a job's writer commits (`Store.commit`): a day a run played, with the checkpoint after it
/// (and a live run's picks per post), or the end of a run whose days are all handed over.
public enum CommitWork: Sendable {
    case day(run: RunRecord, summary: DaySummary, decisions: [Decision], checkpoint: RunCheckpoint, picks: [Int]?)
    case endRun(RunRecord)
}

/// What a `runs` job keeps of each run once it has finished (`set keep`): every logged decision, or
/// only its day summaries and last checkpoint. A run's decisions are needed to continue it only until
/// it finishes; `evaluate` and `export decisions` need them afterwards.
public enum DecisionKeeping: String, Sendable, CaseIterable {
    case decisions, summaries
}

public struct RunRecord: Sendable, Equatable {
    public let id: Int64
    public let experimentID: Int64
    public let jobID: Int64?
    public let policy: Policy
    /// The run's index within its job and policy (0 for a live run).
    public let ordinal: Int
    public var status: RunStatus
    public var daysPlayed: Int
}

/// A run as stored: enough to continue it exactly.
public struct StoredRun: Sendable {
    public var record: RunRecord
    public var checkpoint: RunCheckpoint
    public var days: [DaySummary]
    /// The decisions, day by day, in logged order.
    public var history: [[Decision]]
}

/// A stored result: a policy's curve and how it was obtained.
public struct StoredResult: Sendable, Equatable {
    public var curve: Curve
    public var schedule: Schedule
    public var jobID: Int64?
}

/// A run in figures: what `stats` shows of a live run.
public struct RunSummary: Sendable, Equatable {
    public var record: RunRecord
    public var days: Int
    public var decisions: Int
    public var fits: Int
    /// Decisions per post so far.
    public var picks: [Int]
}

/// Consecutive days of a run taken together (a long run's older days in `stats`).
public struct DayBin: Sendable, Equatable {
    public var firstDay: Int
    public var lastDay: Int
    public var decisions: Int
    /// Per decision over the bin's days.
    public var meanViewingTime: Double
    public var regret: Double
}
