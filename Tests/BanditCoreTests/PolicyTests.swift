// Policies: labels, decisions, and the exact propensities logged with every decision.

@testable import BanditCore
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

    @Test("the policies beyond the notebook: labels round-trip, parameters are checked")
    func moreLabels() throws {
        let policies: [Policy] = [.uniform, .epsilonDecay(5), .epsilonDecay(0.5), .softmax(0.05), .softmax(2), .linUCB(0),
                                  .linUCB(1), .linUCB(2.5), .linTS(0.1), .linTS(1e-5), .onlineBootstrap(30), .linTS(1e-6)]
        for policy in policies { #expect(try Policy(label: policy.label) == policy) }
        #expect(policies.map(\.label) == ["uniform", "epsdecay:5", "epsdecay:0.5", "softmax:0.05", "softmax:2", "linucb:0",
                                           "linucb:1", "linucb:2.5", "lints:0.1", "lints:1e-05", "ots:30", "lints:1e-06"])
        for bad in ["uniform:1", "epsdecay", "epsdecay:0", "epsdecay:-1", "softmax:0", "softmax:nan", "softmax:inf",
                    "linucb:-1", "linucb:x", "lints:0", "lints:1e13", "ots:0", "ots:10001", "ots:1.5", "linucb", "lints:1e-7"] {
            #expect(throws: PolicyError.self, "\(bad)") { try Policy(label: bad) }
        }
        #expect(throws: PolicyError.parameter(.softmax, "0.0")) { try Policy(label: "softmax:0") }
        #expect(PolicyError.parameter(.lints, "0.0").description
                == "the posterior scale v of lints:v must be a number ≥ 1e-06 (at most 1000000000000), not '0.0'")
    }

    /// A recommender after a few days of the notebook's protocol, so that its coefficients are fitted.
    static func trained(_ policy: Policy, kind: GeneratorKind) throws -> Run {
        var generator = Generator(kind: kind, seed: 17)
        let world = try World.draw(features: 5, actions: 30, using: &generator)
        var run = Run(world: world, policy: policy, generator: generator, oracleValue: world.oracle().best)
        _ = Experiment.play(&run, schedule: Schedule(decisionsPerDay: 100, days: 3, runs: 1))
        return run
    }

    static let policies: [Policy] = [.greedy, .epsilonGreedy(0.1), .epsilonGreedy(0.5), .thompson(30), .thompson(7), .uniform,
                                     .epsilonDecay(2), .softmax(0.05), .softmax(1), .linUCB(1), .linUCB(0), .linTS(0.1),
                                     .linTS(1), .onlineBootstrap(30), .onlineBootstrap(3)]

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
        recommender.beginDay(run.days.count + 1, warmup: run.warmup)  // the day about to be played (epsdecay's ε)
        run.playDay(decisions: 500)
        for decision in run.lastDay {
            let p = recommender.propensities(context: decision.context)
            #expect(decision.propensity == p[decision.action])
            #expect(decision.propensity > 0)
        }
    }

    @Test("the empirical choice frequencies match the propensities",
          arguments: [Policy.epsilonGreedy(0.3), .epsilonDecay(2), .softmax(0.05), .linTS(0.5), .linTS(2), .onlineBootstrap(7),
                      .thompson(7), .uniform])
    func empiricalFrequencies(policy: Policy) throws {
        var recommender = try Self.trained(policy, kind: .default).recommender
        for context: UInt64 in [0b10111, 0b00001, 0b11111] {
            let p = recommender.propensities(context: context)
            var rng = Xoshiro256(seed: 1)
            var counts = [Int](repeating: 0, count: 30)
            let n = 60_000
            for _ in 0..<n { counts[recommender.decide(context: context, using: &rng).action] += 1 }
            for a in 0..<30 {
                let expected = p[a] * Double(n)
                #expect(abs(Double(counts[a]) - expected) < 5 * (expected * (1 - p[a])).squareRoot() + 1,
                        "\(policy) context \(context) post \(a)")
            }
        }
    }

    @Test("LinUCB before any data: every post ties, each chosen with probability 1/K")
    func linUCBTies() throws {
        var generator = Generator(kind: .default, seed: 4)
        let world = try World.draw(features: 5, actions: 8, using: &generator)
        let run = Run(world: world, policy: .linUCB(1), generator: generator, oracleValue: 0)
        #expect(run.generator == generator, "LinUCB's reset draws nothing")
        var recommender = run.recommender
        #expect(recommender.coefficients.allSatisfy { $0 == 0 })
        #expect(recommender.propensities(context: 0b10011) == [Double](repeating: 1.0 / 8, count: 8))
        var rng = Xoshiro256(seed: 9)
        var counts = [Int](repeating: 0, count: 8)
        for _ in 0..<8_000 {
            let (action, propensity) = recommender.decide(context: 0b10011, using: &rng)
            #expect(propensity == 1.0 / 8)
            counts[action] += 1
        }
        // Binomial(8000, 1/8): mean 1000, standard deviation 29.6.
        #expect(counts.allSatisfy { abs($0 - 1000) < 150 }, "\(counts)")
    }

    @Test("epsdecay: ε = min(1, c/t) on day t, uniform while c ≥ t")
    func epsilonDecay() throws {
        var run = try Self.trained(.epsilonDecay(2), kind: .default)
        #expect(Recommender.decayedEpsilon(2, day: 1) == 1 && Recommender.decayedEpsilon(2, day: 2) == 1)
        #expect(Recommender.decayedEpsilon(2, day: 4) == 0.5 && Recommender.decayedEpsilon(0.5, day: 1) == 0.5)
        run.playDay(decisions: 50)  // day 4: ε = 0.5
        var recommender = run.recommender
        #expect(recommender.day == 4)
        for decision in run.lastDay {
            let p = recommender.propensities(context: decision.context)
            #expect(p.filter { $0 == 0.5 / 30 }.count == 29 && p.contains(0.5 + 0.5 / 30))
        }
    }

    @Test("warm-up days are uniform whatever the policy; the policy takes over the day after",
          arguments: [Policy.greedy, .thompson(5), .linUCB(1), .linTS(0.1), .onlineBootstrap(5), .softmax(0.05)])
    func warmup(policy: Policy) throws {
        var generator = Generator(kind: .default, seed: 8)
        let world = try World.draw(features: 5, actions: 30, using: &generator)
        var run = Run(world: world, policy: policy, generator: generator, oracleValue: 0, warmup: 2)
        for day in 1...3 {
            run.playDay(decisions: 300)
            let uniform = run.lastDay.allSatisfy { $0.propensity == 1.0 / 30 }
            #expect(uniform == (day <= 2), "\(policy) day \(day)")
            if day <= 2 {
                // Uniform posts: all 30 appear in 300 draws (a post missing has probability 30·(29/30)^300 ≈ 1e-3).
                #expect(Set(run.lastDay.map(\.action)).count >= 28)
            }
            run.fit()
        }
    }

    @Test("LinTS's propensity integral against brute force: many independent normal draws")
    func normalArgmax() throws {
        let cases: [(means: [Double], deviations: [Double])] = [
            ([0, 0, 0], [1, 1, 1]),
            ([1, 0.5, 0.9, -3], [0.1, 2, 0.05, 0.3]),
            ([2.0, 2.0001, 1.9], [1e-4, 0.5, 3]),
            ([0, 10], [1, 1]),
            // Competitors 2 to 16 times sharper than the others: steps the rule must not step over.
            ([1, 1.05, 0.98, 1.1, 0.9], [0.2, 0.05, 0.1, 0.0125, 0.4]),
            ([0, 0.3, -0.2, 0.1], [1, 1.0 / 16, 1.0 / 9, 1.0 / 7]),
        ]
        var rng = Xoshiro256(seed: 77)
        var others: [Int] = []
        for (means, deviations) in cases {
            let exact = means.indices.map {
                NormalArgmax.probability(of: $0, means: means, deviations: deviations, others: &others)
            }
            #expect(abs(exact.reduce(0, +) - 1) < 1e-12, "\(means) \(deviations): \(exact)")
            var wins = [Int](repeating: 0, count: means.count)
            let n = 200_000
            for _ in 0..<n {
                var best = -Double.infinity, winner = 0
                for b in means.indices {
                    let s = means[b] + deviations[b] * rng.nextNormal()
                    if s > best { best = s; winner = b }
                }
                wins[winner] += 1
            }
            for b in means.indices {
                let p = exact[b], error = (p * (1 - p) / Double(n)).squareRoot()
                #expect(abs(Double(wins[b]) / Double(n) - p) <= 5 * error + 1e-9, "\(means) post \(b): \(p)")
            }
        }
        // Symmetry: three identical posts have exactly a third each, to the integral's accuracy.
        let third = NormalArgmax.probability(of: 1, means: [0, 0, 0], deviations: [1, 1, 1], others: &others)
        #expect(abs(third - 1.0 / 3) < 1e-13)
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
