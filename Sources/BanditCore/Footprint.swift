// What work will take before it starts: the memory of the runs playing it and the bytes it logs.

/// An estimate of what a piece of work takes: the most memory it holds at once and the bytes it adds
/// to the store, with its largest single stored value (a checkpoint's coefficients), which SQLite
/// bounds on its own. Computed from the sizes of the engine's buffers, as they are allocated; it
/// errs on the large side (buffers that grow by doubling are counted at their largest).
public struct Footprint: Sendable, Equatable {
    public var memory: Int
    public var disk: Int
    public var largestValue: Int

    public init(memory: Int, disk: Int, largestValue: Int) {
        self.memory = memory
        self.disk = disk
        self.largestValue = largestValue
    }

    /// The process before any work: code, libraries, SQLite's page cache.
    public static let process = 48 << 20

    /// The most days a job's writer commits in one transaction (group commit).
    public static let commitBatchDays = 64

    /// Bytes a job's commit queue may hold, unless that is fewer than `fewestQueuedDays` days.
    static let queueBytes = 16 << 20
    static let fewestQueuedDays = 8

    /// Days a job's commit queue holds at most, each with its decisions and a checkpoint: enough for
    /// a full batch when days are small, no more than `queueBytes` (or 8 days) when they are large.
    public static func queuedDays(decisionsPerDay: Int, checkpointBytes: Int) -> Int {
        let day = Double(decisionsPerDay) * Double(MemoryLayout<Decision>.stride) + Double(checkpointBytes)
        return Int(max(Double(fewestQueuedDays), min(Double(commitBatchDays), Double(queueBytes) / max(1, day))))
    }

    /// A logged decision in the store: the row's fields, its key and the B-tree's slack, about 31
    /// bytes for the notebook's world (measured), a few more for wide contexts and many posts.
    static func storedDecisionBytes(features: Int, actions: Int) -> Double {
        let contextBytes = Double(max(1, (features + 6) / 7)), actionBytes = actions > 127 ? 2.0 : 1.0
        return 29 + contextBytes + actionBytes
    }

    /// `runs` runs of `schedule` for each policy, `concurrent` of them at a time (see
    /// `Experiment.scheduleRuns`), each holding its whole log in memory by its last day. With
    /// `resuming`, a continued run first reads back its logged decisions. Without `keepingDecisions`
    /// (`set keep summaries`), only the runs in progress hold decisions in the store.
    public static func job(
        world: World, policies: [Policy], schedule: Schedule, kind: GeneratorKind, threads: Int, keepingDecisions: Bool = true
    ) -> Footprint {
        let runs = Double(policies.count) * Double(schedule.runs)
        let concurrent = Double(max(1, min(threads, kind == .numpy ? policies.count : policies.count * schedule.runs)))
        let decisions = Double(schedule.decisionsPerDay) * Double(schedule.days)
        let largest = policies.map { run(world: world, policy: $0, decisionsPerDay: schedule.decisionsPerDay,
                                         decisionsLogged: decisions, kind: kind) }
            .max { $0.memory < $1.memory } ?? (memory: 0, checkpoint: 0)
        let storedDecisions = (keepingDecisions ? runs : concurrent) * decisions
            * storedDecisionBytes(features: world.features, actions: world.actions)
        // Every run keeps its last checkpoint; while a day commits, the write-ahead log holds one more.
        let checkpoints = policies.reduce(0.0) { sum, policy in
            sum + Double(schedule.runs) * Double(checkpointBytes(world: world, policy: policy, kind: kind))
        }
        let days = runs * Double(schedule.days) * 48
        return Footprint(memory: clamp(Double(process) + concurrent * largest.memory),
                         disk: clamp(storedDecisions + checkpoints + 2 * Double(largest.checkpoint) + days),
                         largestValue: largest.checkpoint)
    }

    /// `days` more days of a live run that has logged `logged` decisions so far.
    public static func live(world: World, policy: Policy, decisionsPerDay: Int, days: Int, logged: Int, kind: GeneratorKind) -> Footprint {
        let added = Double(decisionsPerDay) * Double(days)
        let one = run(world: world, policy: policy, decisionsPerDay: decisionsPerDay, decisionsLogged: Double(logged) + added, kind: kind)
        let stored = added * storedDecisionBytes(features: world.features, actions: world.actions) + Double(days) * 48
        return Footprint(memory: clamp(Double(process) + one.memory), disk: clamp(stored + 2 * Double(one.checkpoint)),
                         largestValue: one.checkpoint)
    }

    /// A checkpoint's coefficients as stored: members × features × actions doubles.
    public static func checkpointBytes(world: World, policy: Policy, kind: GeneratorKind) -> Int {
        clamp(Double(Recommender.largestMembers(policy: policy, actions: world.actions, reproducesNotebook: kind == .numpy))
              * Double(world.features) * Double(world.actions) * 8)
    }

    /// One run by its last day: its recommender, the day's decisions, and the copies of its
    /// coefficients in flight to the store (the checkpoint encoded, SQLite's bound copy and the
    /// record it builds, queued days' checkpoints); the world's weights likewise (the record read
    /// from the store, its blob, the world, the run's).
    private static func run(world: World, policy: Policy, decisionsPerDay: Int, decisionsLogged: Double,
                            kind: GeneratorKind) -> (memory: Double, checkpoint: Int) {
        let coefficients = checkpointBytes(world: world, policy: policy, kind: kind)
        let queued = Double(min(queuedDays(decisionsPerDay: decisionsPerDay, checkpointBytes: coefficients),
                                max(1, Int(decisionsLogged) / max(1, decisionsPerDay))))
        let decisionBytes = Double(MemoryLayout<Decision>.stride)
        let recommender = Recommender.bytes(policy: policy, features: world.features, actions: world.actions,
                                            decisionsLogged: decisionsLogged, reproducesNotebook: kind == .numpy)
        let memory = recommender
            + Double(coefficients) * (4 + queued)
            + Double(decisionsPerDay) * decisionBytes * (1 + queued)
            + decisionsLogged * decisionBytes  // a resumed run reads its log back
            + Double(world.weights.count) * 8 * 5
        return (memory, coefficients)
    }

    /// Off-policy evaluation of `targets` on runs of `decisionsPerRun` decisions, `trained` of them
    /// fitting the targets, `concurrent` runs at a time: each holds its log, its logging policy
    /// replayed (`logging`, nil for imported logs), every target fitted, and per distinct context of
    /// the evaluated days the distributions (the logging policy's, each target's, the model's).
    /// Writes one row per run, target and estimator.
    public static func evaluation(
        features: Int, actions: Int, logging: [Policy]?, targets: [Policy], decisionsPerRun: Int, trained: Int, runs: Int,
        concurrent: Int
    ) -> Footprint {
        let decisions = Double(decisionsPerRun), evaluated = Double(decisionsPerRun - trained)
        let replay = (logging ?? []).map {
            Recommender.bytes(policy: $0, features: features, actions: actions, decisionsLogged: decisions, reproducesNotebook: false)
        }.max() ?? 0
        let fitted = targets.reduce(0.0) {
            $0 + Recommender.bytes(policy: $1, features: features, actions: actions, decisionsLogged: Double(trained), reproducesNotebook: false)
        }
        let distributions = evaluated * Double(actions) * 8 * Double(targets.count + 2)
        let perRun = replay + fitted + distributions + decisions * Double(MemoryLayout<Decision>.stride) * 2
            + evaluated * Double(MemoryLayout<EvaluatedDecision>.stride)
        let rows = Double(runs) * Double(targets.count) * Double(OffPolicyEstimator.allCases.count)
        return Footprint(memory: clamp(Double(process) + Double(max(1, concurrent)) * perRun), disk: clamp(rows * 160), largestValue: 0)
    }

    static func clamp(_ bytes: Double) -> Int { bytes >= Double(Int.max) ? Int.max : Int(bytes.rounded(.up)) }
}

extension Recommender {
    /// The most coefficient sets a recommender holds: the ensemble's size for the bootstraps (K
    /// of them before Thompson sampling's first fit when reproducing the notebook), one otherwise.
    static func largestMembers(policy: Policy, actions: Int, reproducesNotebook: Bool) -> Int {
        switch policy {
        case .thompson(let replicates): reproducesNotebook ? max(actions, replicates) : replicates
        case .onlineBootstrap(let members): members
        default: 1
        }
    }

    /// The memory of a recommender that has logged `decisionsLogged` decisions, buffers at their largest.
    static func bytes(policy: Policy, features d: Int, actions k: Int, decisionsLogged: Double, reproducesNotebook: Bool) -> Double {
        let members = largestMembers(policy: policy, actions: k, reproducesNotebook: reproducesNotebook)
        let coefficients = Double(members) * Double(d) * Double(k) * 8
        let choices = Double(ChoiceCache.bytes(features: d, members: members))
        let statistics = Double(k) * Double(d * d + d) * 8
        switch policy {
        case .thompson:
            // The log (context, action, reward: 20 bytes a decision), grouped by post for each fit (16),
            // the resample's draws (4, twice with many features), each array up to twice its contents.
            let log = decisionsLogged * (20 + 16 + 8) * 2
            return coefficients + choices + log + Double(EnsembleFit.bytes(features: d))
        case .onlineBootstrap:
            return coefficients + choices + OnlineBootstrap.bytes(members: members, features: d, actions: k)
        case .linUCB, .linTS:
            // XᵀX, Xᵀy and A⁻¹ per post; LinTS's propensities kept per context and post between fits,
            // a dictionary entry (about 48 bytes, twice when it grows) per decision since the fit at most.
            let propensities = if case .linTS = policy { decisionsLogged * 48 * 2 } else { 0.0 }
            return coefficients + choices + statistics + Double(k * d * d) * 8 + propensities
        default:
            // XᵀX and Xᵀy per post.
            return coefficients + choices + statistics
        }
    }
}

extension ChoiceCache {
    /// The table `resize` allocates: a tag and `members` choices per slot.
    static func bytes(features: Int, members: Int) -> Int {
        let patterns = features - 1 <= maximumPatterns.trailingZeroBitCount ? 1 << (features - 1) : Int.max
        let byPattern = patterns <= maximumPatterns && patterns * members <= maximumChoices
        let slots = byPattern ? patterns : 1 << hashBits
        return slots * (8 + 4 * members)
    }
}

extension EnsembleFit {
    /// The fit's fixed scratch: pattern tallies and the operators' reserved room.
    static func bytes(features d: Int) -> Int {
        let patterns = d - 1 <= tallyFeatures ? 1 << (d - 1) : 0
        return patterns * 16 + (patterns > 0 && patterns <= PatternOperators.maximumPatterns ? PatternOperators.reservedBytes(features: d) : 0)
    }
}

extension PatternOperators {
    /// What `init` reserves: an operator of d × m doubles for every set of m ≤ d patterns, at most d × d.
    static func reservedBytes(features d: Int) -> Int {
        let patterns = 1 << (d - 1)
        var sets = 0, binomial = 1
        for m in 1...d where m <= patterns {
            binomial = binomial * (patterns - m + 1) / m
            sets += binomial
        }
        return sets * (4 + d * d * 8)
    }
}
