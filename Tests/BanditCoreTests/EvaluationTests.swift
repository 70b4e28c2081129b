// `evaluate`'s engine: the logging policy replayed exactly, estimates unbiased and intervals that
// cover the exact truth over many runs, bootstrap percentiles.

@testable import BanditCore
import Testing

@Suite("Off-policy evaluation of runs")
struct EvaluationTests {
    static let policies: [Policy] = [
        .greedy, .epsilonGreedy(0.1), .thompson(5), .uniform, .epsilonDecay(3), .softmax(0.1), .linUCB(1), .linTS(0.1),
        .onlineBootstrap(5),
    ]

    /// A run played as a job plays it (a day, then a fit), and its decisions day by day.
    static func played(_ policy: Policy, world: World, start: Generator, schedule: Schedule) -> (logs: [[Decision]], end: Generator) {
        var run = Run(world: world, policy: policy, generator: start, oracleValue: 0, ridge: schedule.ridge, warmup: schedule.warmup)
        var logs: [[Decision]] = []
        for _ in 0..<schedule.days {
            run.playDay(decisions: schedule.decisionsPerDay)
            logs.append(run.lastDay)
            run.fit()
        }
        return (logs, run.generator)
    }

    @Test("a job's run replays bit for bit, and every logged propensity is the replayed distribution's", arguments: GeneratorKind.allCases)
    func replayJobRun(kind: GeneratorKind) throws {
        var generator = Generator(kind: kind, seed: 5)
        let world = try World.draw(features: 4, actions: 6, using: &generator)
        let schedule = Schedule(decisionsPerDay: 30, days: 4, runs: 1, warmup: 1, ridge: 0.5)
        for policy in Self.policies {
            let (logs, end) = Self.played(policy, world: world, start: generator, schedule: schedule)
            let (replayed, replayEnd) = OffPolicyEvaluation.replay(world: world, policy: policy, start: generator, schedule: schedule,
                                                                   oracleValue: 0, logged: logs, from: 2)
            let distributions = try #require(replayed, "\(policy.label)")
            #expect(replayEnd == end && distributions.keys.sorted() == [2, 3, 4], "\(policy.label)")
            for day in 2...4 {
                for decision in logs[day - 1] {
                    let mu = try #require(distributions[day]?[decision.context])
                    #expect(mu[decision.action] == decision.propensity, "\(policy.label) day \(day)")
                    #expect(abs(mu.reduce(0, +) - 1) < 1e-12)
                }
            }
            // A log that this run did not write (one viewing time changed) does not replay.
            var foreign = logs
            foreign[1][7].viewingTime += 1e-9
            #expect(OffPolicyEvaluation.replay(world: world, policy: policy, start: generator, schedule: schedule, oracleValue: 0,
                                               logged: foreign, from: 2).distributions == nil)
        }
    }

    @Test("a live run's distributions come back from its checkpoints, days without a fit included")
    func replayLiveRun() throws {
        var generator = Generator(kind: .default, seed: 9)
        let world = try World.draw(features: 4, actions: 6, using: &generator)
        for policy in Self.policies {
            var run = Run(world: world, policy: policy, generator: generator, oracleValue: 0, ridge: 0.5, warmup: 1)
            // What the store keeps of a live run: a checkpoint at the reset, after each day and after each fit.
            var checkpoints = [run.checkpoint]
            var logs: [[Decision]] = []
            for fits in [true, false, true, true, false, true] {
                run.playDay(decisions: 25)
                logs.append(run.lastDay)
                checkpoints.append(run.checkpoint)
                if fits {
                    run.fit()
                    checkpoints.append(run.checkpoint)
                }
            }
            let restored = OffPolicyEvaluation.replay(world: world, policy: policy, ridge: 0.5, warmup: 1, checkpoints: checkpoints,
                                                      days: run.days, logged: logs, from: 2)
            #expect(restored?.keys.sorted() == Array(2...6), "\(policy.label)")
            // Without the checkpoint of the fit after day 4, day 5 is restored from the coefficients
            // before that fit: refused when a logged propensity says so (always, for policies whose
            // probabilities move with every fit), and otherwise what the right checkpoint gives.
            var missing = checkpoints
            missing.remove(at: 7)
            let stale = OffPolicyEvaluation.replay(world: world, policy: policy, ridge: 0.5, warmup: 1, checkpoints: missing,
                                                   days: run.days, logged: logs, from: 5)
            if case .softmax = policy { #expect(stale == nil) }
            if case .linTS = policy { #expect(stale == nil) }
            if let stale { #expect(stale == restored?.filter { $0.key >= 5 }, "\(policy.label)") }
        }
    }

    @Test("on ε-greedy logs over many runs, IPS, SNIPS and DR are unbiased against the exact truth and their intervals cover it about 95% of the time")
    func unbiasedAndCovering() throws {
        var generator = Generator(kind: .default, seed: 21)
        let world = try World.draw(features: 5, actions: 10, using: &generator)
        let schedule = Schedule(decisionsPerDay: 400, days: 3, runs: 1, warmup: 1)
        let targets: [Policy] = [.greedy, .epsilonGreedy(0.3), .softmax(0.5)]
        let setup = OffPolicyEvaluation.Setup(targets: targets, train: 2, features: 5, actions: 10, world: world)
        var results: [[OffPolicyEvaluation.TargetResult]] = []
        for r in 0..<600 {
            let start = Generator.fast(Xoshiro256(key: 77, stream: UInt64(r)))
            let (logs, _) = Self.played(.epsilonGreedy(0.2), world: world, start: start, schedule: schedule)
            let (distributions, _) = OffPolicyEvaluation.replay(world: world, policy: .epsilonGreedy(0.2), start: start, schedule: schedule,
                                                                oracleValue: 0, logged: logs, from: 3)
            results.append(OffPolicyEvaluation.evaluate(setup, logs: logs, logging: try #require(distributions), run: UInt64(r)))
        }
        for summary in OffPolicySummary.summarise(results, targets: targets) {
            let label = "\(summary.target.label) \(summary.estimator)"
            #expect(summary.usableRuns == 600, "\(label)")
            let bias = try #require(summary.bias), se = try #require(summary.biasStandardError)
            let coverage = try #require(summary.coverage)
            if summary.estimator.needsSupport {
                // Unbiased: within 3.5 standard errors of 0 (each a 1-in-2,000 chance to fail by luck).
                #expect(abs(bias) <= 3.5 * se, "\(label): bias \(bias) ± \(se)")
                // About 95%: a binomial's 600 draws put 3.5 standard deviations at ±0.031; normal
                // intervals from 400 decisions run a little short of their nominal level.
                #expect(coverage >= 0.90 && coverage <= 0.985, "\(label): coverage \(coverage)")
            }
            #expect(summary.rmse! >= abs(bias) && summary.relativeError! > 0)
        }
    }

    @Test("bootstrap percentiles are numpy's, and close to the normal interval on a large sample")
    func bootstrap() throws {
        #expect(OffPolicyReport.percentile([1, 2, 3, 4, 5], 0.025) == 1.1)
        #expect(abs(OffPolicyReport.percentile([1, 2, 3, 4, 5], 0.975) - 4.9) < 1e-15)
        #expect(OffPolicyReport.percentile([3], 0.5) == 3)
        var rng = Xoshiro256(seed: 4)
        let decisions = (0..<3000).map { _ in
            let p = 0.2 + 0.6 * rng.nextDouble()
            return EvaluatedDecision(propensity: p, reward: 1 + rng.nextNormal(), targetProbability: rng.nextDouble(),
                                     direct: 0.5 + 0.1 * rng.nextNormal(), modelAtAction: 1, unsupported: 0)
        }
        let normal = OffPolicyReport(decisions)
        let resampled = OffPolicyReport(decisions, interval: .bootstrap(replicates: 2000, seed: 1))
        for (n, b) in zip(normal.estimates, resampled.estimates) {
            #expect(n.value == b.value)
            let half = n.upper - n.value
            #expect(abs(b.standardError - n.standardError) < 0.1 * n.standardError, "\(n.estimator)")
            #expect(abs(b.lower - n.lower) < 0.15 * half && abs(b.upper - n.upper) < 0.15 * half, "\(n.estimator): \(b) against \(n)")
        }
        // A target that none of the logged decisions matches: nothing weighs, SNIPS (0/0) is unusable
        // and no figure is NaN, with either interval.
        let unmatched = decisions.map { var d = $0; d.targetProbability = 0; return d }
        for report in [OffPolicyReport(unmatched), OffPolicyReport(unmatched, interval: .bootstrap(replicates: 50, seed: 2))] {
            #expect(report.effectiveSampleSize == 0 && report.largestWeight == 0 && !report.isUsable(.snips) && report.isUsable(.ips))
            #expect(report.estimates.allSatisfy { $0.value.isFinite && $0.lower.isFinite && $0.upper.isFinite && $0.standardError.isFinite })
        }
        // The same seed, the same interval.
        #expect(OffPolicyReport(decisions, interval: .bootstrap(replicates: 200, seed: 3))
                == OffPolicyReport(decisions, interval: .bootstrap(replicates: 200, seed: 3)))
    }
}
