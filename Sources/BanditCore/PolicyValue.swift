// The exact value of a fixed policy in a simulated world: the truth off-policy estimates are checked against.

import Foundation

/// What a fixed policy earns in a world, per decision on average, and how well that is known.
public struct PolicyValue: Sendable, Equatable {
    /// The expected viewing time of a decision.
    public var value: Double
    /// 0 when exact; otherwise the Monte Carlo estimate's standard error.
    public var standardError: Double
    /// True when every context pattern was enumerated.
    public var exact: Bool

    public init(value: Double, standardError: Double, exact: Bool) {
        self.value = value
        self.standardError = standardError
        self.exact = exact
    }
}

extension World {
    /// V(π) = E_x Σ_a π(a|x)·exp(mean_j(x_j·w_ja) + σ²/2), the expected viewing time of a decision
    /// when post a is shown for context x with probability π(a|x) (`distribution(x)`, K
    /// probabilities), over the world's contexts (feature 0 set, the others fair coins).
    ///
    /// Exact by enumerating the 2^(d−1) context patterns while there are at most 20 random features
    /// and 2^(d−1)·K stays within the oracle's budget; beyond, the mean over `samples` contexts drawn
    /// from a fixed stream, with its standard error. Contexts are visited in increasing order, so a
    /// policy that caches per context (a recommender's `propensities`) is asked once for each.
    public func value(samples: Int = 1 << 16, of distribution: (UInt64) -> [Double]) -> PolicyValue {
        precondition(samples >= 2)
        let d = features, k = actions
        /// Σ_a π(a|x)·E[viewing time | x, a], skipping posts the policy never shows there.
        func expected(_ context: UInt64) -> Double {
            let p = distribution(context)
            precondition(p.count == k, "a distribution over the world's \(k) posts")
            var sum = 0.0
            for a in 0..<k where p[a] != 0 { sum += p[a] * expectedViewingTime(context: context, action: a) }
            return sum
        }
        let randomFeatures = d - 1
        if randomFeatures <= 20 && (1 << randomFeatures) * k <= Self.oracleBudget {
            let patterns = 1 << randomFeatures
            var total = 0.0
            for pattern in 0..<patterns { total += expected(UInt64(pattern) << 1 | 1) }
            return PolicyValue(value: total / Double(patterns), standardError: 0, exact: true)
        }
        var stream = Xoshiro256(seed: 0x7661_6c75_65)
        var mean = 0.0, squares = 0.0
        for n in 1...samples {
            // Welford's running mean and sum of squared deviations.
            let x = expected(stream.nextContext(features: d))
            let delta = x - mean
            mean += delta / Double(n)
            squares += delta * (x - mean)
        }
        let deviation = (squares / Double(samples - 1)).squareRoot()
        return PolicyValue(value: mean, standardError: deviation / Double(samples).squareRoot(), exact: false)
    }
}
