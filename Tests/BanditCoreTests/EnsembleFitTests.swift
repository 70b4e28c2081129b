// Thompson sampling's fast fit, every path of it, against the slow reference fit of ReferenceFit.swift.

import BanditCore
import Foundation
import Testing

@Suite("Thompson fit against the reference")
struct EnsembleFitTests {
    /// Rounding only: the fast paths add the same numbers in another order (rewards summed per
    /// pattern before any product; β by Cholesky or by a kept operator instead of an eigendecomposition),
    /// so they agree with the reference to about κ(XᵀX)·ε (at most 3e-13 in these tests), while a wrong
    /// draw, weight, row or path moves a coefficient by 1e-3 or more.
    static let tolerance = 1e-9

    /// Eight posts: post 0 never shown, posts 1 and 5 rarely (their resamples are rank deficient),
    /// post 4 often (full rank, many repeated patterns).
    static let popularity: [Double] = [0, 0.3, 3, 1, 10, 0.1, 5, 2]

    /// A log whose post a is chosen with probability ∝ popularity[a], with log-normal rewards.
    static func log(features d: Int, popularity: [Double], decisions n: Int, seed: UInt64) -> [ReferenceFit.Sample] {
        var rng = Xoshiro256(seed: seed)
        let total = popularity.reduce(0, +)
        return (0..<n).map { _ in
            let context = rng.nextContext(features: d)
            var u = rng.nextDouble() * total, action = 0
            while action < popularity.count - 1 && (u >= popularity[action] || popularity[action] == 0) {
                u -= popularity[action]
                action += 1
            }
            return ReferenceFit.Sample(context: context, action: action, reward: Foundation.exp(0.5 * rng.nextNormal()))
        }
    }

    /// The largest difference between the fast coefficients (members × d × k) and the reference
    /// (`[member][post][feature]`), relative to the larger of 1 and the post's largest coefficient.
    static func worstError(_ fast: [Double], _ reference: [ReferenceFit.Matrix], features d: Int, actions k: Int) -> Double {
        var worst = 0.0
        for (m, member) in reference.enumerated() {
            for (a, beta) in member.enumerated() {
                let scale = max(1, beta.map(\.magnitude).max() ?? 0)
                for j in 0..<d { worst = max(worst, (fast[(m * d + j) * k + a] - beta[j]).magnitude / scale) }
            }
        }
        return worst
    }

    /// Records the log in batches and fits after each, from the same generator state as the reference
    /// fit of everything logged so far: coefficients within `tolerance`, exact zeros for a post never
    /// shown, and the generators in the same state afterwards (the same draws, in the same order).
    static func expectMatchesReference<R: RandomSource & Equatable>(
        _ generator: R, features d: Int, members: Int, batches: [Int], seed: UInt64,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let all = log(features: d, popularity: popularity, decisions: batches.reduce(0, +), seed: seed)
        expectMatchesReference(generator, all, features: d, actions: popularity.count, members: members, batches: batches,
                               sourceLocation: sourceLocation)
    }

    static func expectMatchesReference<R: RandomSource & Equatable>(
        _ generator: R, _ all: [ReferenceFit.Sample], features d: Int, actions k: Int, members: Int, batches: [Int],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var recommender = Recommender(policy: .thompson(members), features: d, actions: k, members: members,
                                      coefficients: [Double](repeating: .nan, count: members * d * k), fits: 0)
        var fast = generator, slow = generator, logged = 0
        for batch in batches {
            for sample in all[logged..<(logged + batch)] {
                recommender.record(context: sample.context, action: sample.action, reward: sample.reward)
            }
            logged += batch
            recommender.fit(using: &fast)
            let reference = ReferenceFit.ensemble(Array(all[..<logged]), features: d, actions: k, members: members, using: &slow)
            let worst = worstError(recommender.coefficients, reference, features: d, actions: k)
            #expect(worst <= tolerance, "d = \(d), \(logged) decisions: worst relative error \(worst)", sourceLocation: sourceLocation)
            #expect(fast == slow, "d = \(d): the fit drew differently from the reference", sourceLocation: sourceLocation)
            for a in 0..<k where recommender.counts[a] == 0 {
                for m in 0..<members {
                    for j in 0..<d {
                        #expect(recommender.coefficients[(m * d + j) * k + a].bitPattern == 0, sourceLocation: sourceLocation)
                    }
                }
            }
        }
    }

    @Test("up to 4 random features: pattern tallies and the kept operators of independent pattern sets",
          arguments: [1, 2, 3, 5])
    func fewFeatures(d: Int) {
        // Three fits: the later ones meet pattern sets whose operators the first ones kept.
        Self.expectMatchesReference(NumpyRandom(seed: 7), features: d, members: 6, batches: [40, 80, 160], seed: 1)
        Self.expectMatchesReference(Xoshiro256(seed: 7), features: d, members: 6, batches: [40, 80, 160], seed: 2)
    }

    @Test("5 to 10 random features: pattern tallies, independent patterns solved from P·Pᵀ",
          arguments: [6, 8, 11])
    func someFeatures(d: Int) {
        Self.expectMatchesReference(NumpyRandom(seed: 8), features: d, members: 5, batches: [60, 200], seed: 3)
        Self.expectMatchesReference(Xoshiro256(seed: 8), features: d, members: 5, batches: [60, 200], seed: 4)
    }

    @Test("more than 11 features: no pattern tally, each decision weighted by the times it was drawn",
          arguments: [12, 16, 24])
    func manyFeatures(d: Int) {
        Self.expectMatchesReference(NumpyRandom(seed: 9), features: d, members: 4, batches: [50, 250], seed: 5)
        Self.expectMatchesReference(Xoshiro256(seed: 9), features: d, members: 4, batches: [50, 250], seed: 6)
    }

    @Test("posts shown once or a few times: rank-deficient resamples; posts never shown: zeros",
          arguments: [4, 9, 20])
    func rarelyShownPosts(d: Int) {
        // Most posts get fewer decisions than features, so nearly every resample is rank deficient;
        // post 2 is shown exactly once and post 7 twice (every resample of it is one row repeated, or two).
        let popularity: [Double] = [0, 0.2, 0, 0, 1, 0.1, 0.4, 0, 0, 0.3]
        var samples = Self.log(features: d, popularity: popularity, decisions: 60, seed: 11)
        for (index, post) in [(7, 2), (20, 7), (41, 7)] { samples[index].action = post }
        var counts = [Int](repeating: 0, count: popularity.count)
        for sample in samples { counts[sample.action] += 1 }
        #expect(counts[2] == 1 && counts[7] == 2 && counts.filter { $0 == 0 }.count >= 2
                && counts.filter { $0 > 0 && $0 < d }.count >= 3, "\(counts)")
        Self.expectMatchesReference(NumpyRandom(seed: 10), samples, features: d, actions: popularity.count, members: 5,
                                    batches: [30, 30])
        Self.expectMatchesReference(Xoshiro256(seed: 10), samples, features: d, actions: popularity.count, members: 5,
                                    batches: [30, 30])
    }
}
