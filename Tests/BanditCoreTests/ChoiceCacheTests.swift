// The cached greedy choices behind every decision and propensity, against a direct argmax per member.

import BanditCore
import Testing

@Suite("Choice cache against the direct argmax")
struct ChoiceCacheTests {
    /// Thompson sampling's propensities and decisions for many distinct contexts, each met twice and
    /// interleaved with others so that slots are reused and hashed contexts collide, then again after a
    /// fit has changed the coefficients: each must follow from every member's direct argmax.
    static func expectChoicesMatchArgmax(features d: Int, actions k: Int, members: Int, seed: UInt64) {
        var rng = Xoshiro256(seed: seed)
        let coefficients = (0..<(members * d * k)).map { _ in rng.nextNormal() }
        var recommender = Recommender(policy: .thompson(members), features: d, actions: k, members: members,
                                      coefficients: coefficients, fits: 0)
        for round in 0..<2 {
            // More contexts than the hashed table's 1,024 slots, so that they collide.
            let distinct = (0..<1500).map { _ in rng.nextContext(features: d) }
            for context in distinct + distinct.reversed() {
                let choices = ReferenceFit.greedyChoices(recommender.coefficients, context: context, features: d, actions: k)
                var expected = [Double](repeating: 0, count: k)
                for choice in choices { expected[choice] += 1 }
                for a in 0..<k { expected[a] /= Double(members) }
                #expect(recommender.propensities(context: context) == expected, "d = \(d), round \(round), context \(context)")
                // decide draws the member, then reads the same cached choices.
                var replay = rng
                let member = replay.nextInt(below: members)
                let (action, propensity) = recommender.decide(context: context, using: &rng)
                #expect(action == choices[member] && propensity == expected[action], "d = \(d), context \(context)")
            }
            // New coefficients: a fit on some decisions must leave no stale choice behind.
            for _ in 0..<400 {
                recommender.record(context: rng.nextContext(features: d), action: rng.nextInt(below: k), reward: rng.nextDouble())
            }
            recommender.fit(using: &rng)
        }
    }

    @Test("pattern-indexed: one slot per context pattern")
    func patternIndexed() {
        Self.expectChoicesMatchArgmax(features: 5, actions: 30, members: 30, seed: 1)
        Self.expectChoicesMatchArgmax(features: 13, actions: 12, members: 30, seed: 2)
    }

    @Test("hashed: more than 11 features, or too many choices for one slot per pattern")
    func hashed() {
        Self.expectChoicesMatchArgmax(features: 14, actions: 30, members: 30, seed: 3)
        Self.expectChoicesMatchArgmax(features: 20, actions: 60, members: 7, seed: 4)
        Self.expectChoicesMatchArgmax(features: 64, actions: 9, members: 3, seed: 5)
        // 4,096 patterns × 100 members exceed the pattern table's 2¹⁸ choices.
        Self.expectChoicesMatchArgmax(features: 13, actions: 10, members: 100, seed: 6)
    }

    @Test("greedy and ε-greedy read the same table with one member")
    func greedy() {
        for (d, policy) in [(5, Policy.greedy), (20, .greedy), (16, .epsilonGreedy(0.2))] {
            var rng = Xoshiro256(seed: UInt64(d))
            let k = 40
            let coefficients = (0..<(d * k)).map { _ in rng.nextNormal() }
            var recommender = Recommender(policy: policy, features: d, actions: k, members: 1, coefficients: coefficients, fits: 0)
            let epsilon = if case .epsilonGreedy(let e) = policy { e } else { 0.0 }
            let distinct = (0..<1500).map { _ in rng.nextContext(features: d) }
            for context in distinct + distinct.reversed() {
                let best = ReferenceFit.greedyChoices(coefficients, context: context, features: d, actions: k)[0]
                var expected = [Double](repeating: epsilon / Double(k), count: k)
                expected[best] += 1 - epsilon
                #expect(recommender.propensities(context: context) == expected, "\(policy) d = \(d)")
            }
        }
    }
}
