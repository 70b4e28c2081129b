// Policies: labels, decisions, and the exact propensities logged with every decision.

import BanditCore
import Testing

@Suite("Policies and propensities")
struct PolicyTests {
    @Test("canonical labels round-trip and bad ones are refused")
    func labels() throws {
        for policy in [Policy.greedy, .epsilonGreedy(0.1), .epsilonGreedy(1), .epsilonGreedy(0), .epsilonGreedy(1e-5), .thompson(30)] {
            #expect(try Policy(label: policy.label) == policy)
        }
        #expect(Policy.epsilonGreedy(0.1).label == "eps:0.1")
        #expect(Policy.epsilonGreedy(1).label == "eps:1" && Policy.epsilonGreedy(0).label == "eps:0")
        #expect(Policy.thompson(30).label == "ts:30")
        for bad in ["", "eps", "eps:", "eps:1.5", "eps:-0.1", "eps:x", "ts:0", "ts:2.5", "ts", "greedy:1", "thompson:3"] {
            #expect(throws: PolicyError.self, "\(bad)") { try Policy(label: bad) }
        }
    }

    /// A recommender after a few days of the notebook's protocol, so that its coefficients are fitted.
    static func trained(_ policy: Policy, kind: GeneratorKind) throws -> Run {
        var generator = Generator(kind: kind, seed: 17)
        let world = try World.draw(features: 5, actions: 30, using: &generator)
        var run = Run(world: world, policy: policy, generator: generator, oracleValue: world.oracle().best)
        _ = Experiment.play(&run, schedule: Schedule(decisionsPerDay: 100, days: 3, runs: 1))
        return run
    }

    static let policies: [Policy] = [.greedy, .epsilonGreedy(0.1), .epsilonGreedy(0.5), .thompson(30), .thompson(7)]

    @Test("propensities of every policy sum to 1 over the posts, for every context", arguments: policies)
    func propensitiesSumToOne(policy: Policy) throws {
        for kind in GeneratorKind.allCases {
            var recommender = try Self.trained(policy, kind: kind).recommender
            for pattern in 0..<16 {
                let context = UInt64(pattern) << 1 | 1
                let p = recommender.propensities(context: context)
                #expect(p.count == 30)
                #expect(p.allSatisfy { $0 >= 0 && $0 <= 1 })
                #expect(abs(p.reduce(0, +) - 1) < 1e-12, "\(policy) \(kind) context \(context)")
            }
        }
    }

    @Test("each logged propensity is the policy's probability of the logged post", arguments: policies)
    func loggedPropensities(policy: Policy) throws {
        var run = try Self.trained(policy, kind: .default)
        var recommender = run.recommender
        run.playDay(decisions: 500)
        for decision in run.lastDay {
            let p = recommender.propensities(context: decision.context)
            #expect(decision.propensity == p[decision.action])
            #expect(decision.propensity > 0)
        }
    }

    @Test("ε-greedy: the empirical choice frequencies match the propensities")
    func empiricalFrequencies() throws {
        var recommender = try Self.trained(.epsilonGreedy(0.3), kind: .default).recommender
        let context: UInt64 = 0b10111
        let p = recommender.propensities(context: context)
        var rng = Xoshiro256(seed: 1)
        var counts = [Int](repeating: 0, count: 30)
        let n = 60_000
        for _ in 0..<n { counts[recommender.decide(context: context, using: &rng).action] += 1 }
        for a in 0..<30 {
            let expected = p[a] * Double(n)
            #expect(abs(Double(counts[a]) - expected) < 5 * (expected * (1 - p[a])).squareRoot() + 1, "post \(a)")
        }
    }

    @Test("Thompson sampling: before the first fit, the notebook's K initial ensembles; B afterwards")
    func thompsonEnsembleSize() throws {
        var generator = Generator(kind: .numpy, seed: 1)
        let world = try World.draw(features: 4, actions: 6, using: &generator)
        var numpy = Run(world: world, policy: .thompson(3), generator: generator, oracleValue: 0)
        #expect(numpy.recommender.members == 6)
        numpy.playDay(decisions: 10)
        numpy.fit()
        #expect(numpy.recommender.members == 3)
        let fast = Run(world: world, policy: .thompson(3), generator: Generator(kind: .default, seed: 1), oracleValue: 0)
        #expect(fast.recommender.members == 3)
    }

    @Test("greedy ties go to the first post, as the notebook's strict comparison")
    func firstMaximum() throws {
        // Before any data every fitted coefficient is zero, so after a fit with no decisions all predictions tie.
        var generator = Generator(kind: .default, seed: 3)
        let world = try World.draw(features: 3, actions: 5, using: &generator)
        var run = Run(world: world, policy: .greedy, generator: generator, oracleValue: 0)
        run.fit()
        #expect(run.recommender.coefficients.allSatisfy { $0 == 0 })
        run.playDay(decisions: 20)
        #expect(run.lastDay.allSatisfy { $0.action == 0 && $0.propensity == 1 })
    }
}
