// `evaluate`'s engine: target policies fitted on a run's first days, frozen, and estimated from
// its later days' logs; the logging policy's distributions replayed for support; summaries over runs.

import Foundation

/// The logging policy's distribution μ(·|x) on each evaluation day (from 1), by context.
public typealias LoggingDistributions = [Int: [UInt64: [Double]]]

public enum OffPolicyEvaluation {
    /// What is evaluated, and how.
    public struct Setup: Sendable {
        public var targets: [Policy]
        /// Days 1...train fit the targets and the reward model; the later days are evaluated.
        public var train: Int
        public var features: Int
        public var actions: Int
        /// λ of the targets' ridge regressions (LinUCB, LinTS, online bootstrap).
        public var ridge: Double
        /// Resamples of the percentile bootstrap, or nil for normal intervals.
        public var bootstrap: Int?
        /// The simulated world, for the truth; nil for imported logs.
        public var world: World?

        public init(targets: [Policy], train: Int, features: Int, actions: Int, ridge: Double = 1, bootstrap: Int? = nil,
                    world: World? = nil) {
            precondition(!targets.isEmpty && train >= 1 && features >= 1 && actions >= 1)
            self.targets = targets
            self.train = train
            self.features = features
            self.actions = actions
            self.ridge = ridge
            self.bootstrap = bootstrap
            self.world = world
        }
    }

    /// One target on one run's logs.
    public struct TargetResult: Sendable, Equatable {
        public var target: Policy
        public var report: OffPolicyReport
        /// The frozen target's value in the world; nil without a world.
        public var truth: PolicyValue?
    }

    /// Key of the streams that fit the targets (initial coefficients, Thompson sampling's
    /// resamples) and resample the bootstrap's decisions: "evaluate".
    static let streamKey: UInt64 = 0x6576_616c_7561_7465

    /// The stream a run's targets are fitted and resampled with: a function of what the run is (its
    /// logging policy's label and its index among that policy's runs), never of the order in which
    /// the store happened to record the runs, so that the same job evaluates to the same figures.
    public static func stream(label: String, ordinal: Int) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in label.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return SplitMix64.mix(hash ^ UInt64(ordinal))
    }

    /// Evaluates every target on one run's logs (`logs[t − 1]` is day t's decisions, in order), the
    /// targets fitted and the bootstrap resampled from stream `run` (`stream(label:ordinal:)`).
    /// Needs two evaluation decisions.
    public static func evaluate(_ setup: Setup, logs: [[Decision]], logging: LoggingDistributions?, run: UInt64) -> [TargetResult] {
        precondition(logs.count > setup.train)
        let d = setup.features, k = setup.actions
        var rng = Xoshiro256(key: streamKey, stream: run)
        // The reward model q̂: the notebook's per-post least squares on the training days.
        var model = Recommender(policy: .greedy, features: d, actions: k, members: 1,
                                coefficients: [Double](repeating: 0, count: d * k), fits: 0)
        for day in logs[..<setup.train] {
            for decision in day { model.record(context: decision.context, action: decision.action, reward: decision.viewingTime) }
        }
        model.fit(using: &rng)
        var predictions: [UInt64: [Double]] = [:]
        let evaluated = logs[setup.train...]
        return setup.targets.enumerated().map { index, policy in
            var target = Recommender(policy: policy, features: d, actions: k, ridge: setup.ridge, using: &rng)
            for day in logs[..<setup.train] {
                for decision in day { target.record(context: decision.context, action: decision.action, reward: decision.viewingTime) }
            }
            target.fit(using: &rng)
            // Frozen as it would play the first evaluation day (epsdecay's ε follows the day).
            target.beginDay(setup.train + 1, warmup: 0)
            var distributions: [UInt64: [Double]] = [:]
            var decisions: [EvaluatedDecision] = []
            decisions.reserveCapacity(evaluated.reduce(0) { $0 + $1.count })
            for (offset, day) in evaluated.enumerated() {
                let logged = logging?[setup.train + 1 + offset]
                for decision in day {
                    let x = decision.context
                    let pi = distributions[x] ?? target.propensities(context: x)
                    distributions[x] = pi
                    let q = predictions[x] ?? model.predictions(context: x)
                    predictions[x] = q
                    var direct = 0.0
                    for a in 0..<k where pi[a] != 0 { direct += pi[a] * q[a] }
                    var unsupported: Double?
                    if let mu = logged?[x] {
                        var share = 0.0
                        for a in 0..<k where mu[a] == 0 { share += pi[a] }
                        unsupported = share
                    }
                    decisions.append(EvaluatedDecision(
                        propensity: decision.propensity, reward: decision.viewingTime, targetProbability: pi[decision.action],
                        direct: direct, modelAtAction: q[decision.action], unsupported: unsupported))
                }
            }
            let interval = setup.bootstrap.map {
                IntervalMethod.bootstrap(replicates: $0, seed: SplitMix64.mix(run &* 0x9e37_79b9 &+ UInt64(index)))
            } ?? .normal
            let truth = setup.world.map { world in
                world.value { x in
                    if let known = distributions[x] { return known }
                    return target.propensities(context: x)
                }
            }
            return TargetResult(target: policy, report: OffPolicyReport(decisions, interval: interval), truth: truth)
        }
    }

    // MARK: The logging policy, replayed

    /// A job's run played again from its start as `Experiment.play` plays it (a day, then a fit),
    /// and for each day from `firstDay` on the distribution each of that day's contexts was drawn
    /// from. Nil distributions when the replay does not give `logged` back bit for bit (the logs
    /// were not written by this engine); `end` is the generator as the replayed run left it.
    public static func replay(
        world: World, policy: Policy, start: Generator, schedule: Schedule, oracleValue: Double,
        logged: [[Decision]], from firstDay: Int
    ) -> (distributions: LoggingDistributions?, end: Generator) {
        var run = Run(world: world, policy: policy, generator: start, oracleValue: oracleValue, ridge: schedule.ridge,
                      warmup: schedule.warmup)
        var distributions: LoggingDistributions = [:]
        var reproduced = true
        for (index, day) in logged.enumerated() {
            run.playDay(decisions: max(1, day.count))
            reproduced = reproduced && run.lastDay == day
            if reproduced && index + 1 >= firstDay {
                var byContext: [UInt64: [Double]] = [:]
                for decision in day where byContext[decision.context] == nil {
                    byContext[decision.context] = run.distribution(context: decision.context, day: index + 1)
                }
                distributions[index + 1] = byContext
            }
            run.fit()
        }
        return (reproduced ? distributions : nil, run.generator)
    }

    /// A live run's logging distributions from its checkpoints: day t was played with the
    /// coefficients of the last checkpoint taken after t − 1 days (after any fit that followed day
    /// t − 1). Nil when a day from `firstDay` on has no such checkpoint, or when a logged propensity
    /// is not the restored policy's probability of the logged post.
    public static func replay(
        world: World, policy: Policy, ridge: Double, warmup: Int, checkpoints: [RunCheckpoint], days: [DaySummary],
        logged: [[Decision]], from firstDay: Int
    ) -> LoggingDistributions? {
        precondition(days.count == logged.count)
        var distributions: LoggingDistributions = [:]
        for day in max(1, firstDay)...max(1, logged.count) where day <= logged.count {
            guard let checkpoint = checkpoints.last(where: { $0.daysPlayed == day - 1 }) else { return nil }
            var run = Run(world: world, policy: policy, oracleValue: 0, ridge: ridge, warmup: warmup, checkpoint: checkpoint,
                          days: Array(days[..<(day - 1)]), history: Array(logged[..<(day - 1)]))
            var byContext: [UInt64: [Double]] = [:]
            for decision in logged[day - 1] {
                let mu = byContext[decision.context] ?? run.distribution(context: decision.context, day: day)
                byContext[decision.context] = mu
                // The logged propensity is the restored policy's, bit for bit, or the restore is wrong.
                guard mu[decision.action] == decision.propensity else { return nil }
            }
            distributions[day] = byContext
        }
        return distributions
    }
}

/// How one estimator did for one target over many runs' logs, against each run's truth: what Open
/// Bandit Pipeline reports of its synthetic benchmarks.
public struct OffPolicySummary: Sendable, Equatable {
    public var target: Policy
    public var estimator: OffPolicyEstimator
    /// Runs evaluated, and those where the estimator was usable (the target supported by the logs).
    public var runs: Int
    public var usableRuns: Int
    /// Over the usable runs: the mean estimate and the mean truth.
    public var meanEstimate: Double
    public var meanTruth: Double?
    /// Mean of estimate − truth, its standard error over runs, root mean square error, mean
    /// |estimate − truth| / truth, and the share of 95% intervals that held the truth.
    public var bias: Double?
    public var biasStandardError: Double?
    public var rmse: Double?
    public var relativeError: Double?
    public var coverage: Double?
    /// The mean of the runs' standard errors (how wide each run's estimate says it is).
    public var meanStandardError: Double

    /// Summaries by target then estimator, over the runs' results (each run's results in `targets` order).
    public static func summarise(_ runs: [[OffPolicyEvaluation.TargetResult]], targets: [Policy]) -> [OffPolicySummary] {
        targets.indices.flatMap { t in
            OffPolicyEstimator.allCases.map { estimator in
                let results = runs.map { $0[t] }
                let usable = results.filter { $0.report.isUsable(estimator) }
                let estimates = usable.map { $0.report.estimate(estimator) }
                let n = Double(usable.count)
                let meanEstimate = estimates.reduce(0) { $0 + $1.value } / n
                let meanSE = estimates.reduce(0) { $0 + $1.standardError } / n
                var summary = OffPolicySummary(target: targets[t], estimator: estimator, runs: results.count, usableRuns: usable.count,
                                               meanEstimate: meanEstimate, meanStandardError: meanSE)
                let truths = usable.compactMap { $0.truth?.value }
                guard !usable.isEmpty, truths.count == usable.count else { return summary }
                let errors = zip(estimates, truths).map { $0.value - $1 }
                let bias = errors.reduce(0, +) / n
                summary.meanTruth = truths.reduce(0, +) / n
                summary.bias = bias
                summary.biasStandardError = usable.count > 1
                    ? (errors.reduce(0) { $0 + ($1 - bias) * ($1 - bias) } / (n - 1)).squareRoot() / n.squareRoot() : nil
                summary.rmse = (errors.reduce(0) { $0 + $1 * $1 } / n).squareRoot()
                summary.relativeError = zip(errors, truths).reduce(0) { $0 + abs($1.0) / $1.1 } / n
                summary.coverage = Double(zip(estimates, truths).count { $0.covers($1) }) / n
                return summary
            }
        }
    }
}
