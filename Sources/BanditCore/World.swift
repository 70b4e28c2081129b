// The simulated world: users' binary features, the posts' weights, and the viewing time they produce.

import Foundation

/// Users described by `features` binary features (feature 0 is the constant 1), `actions` posts, and
/// a viewing time of `exp(mean_j(c_j · w_ja) + noise · N(0,1))` for context c and post a.
public struct World: Sendable, Equatable {
    public let features: Int
    public let actions: Int
    public let noise: Double
    /// features × actions, row-major (feature by feature), as `np.random.normal(size=(d, K))`.
    public let weights: [Double]

    public static let maximumFeatures = 64

    public init(features: Int, actions: Int, noise: Double, weights: [Double]) throws(WorldError) {
        guard (1...Self.maximumFeatures).contains(features) else { throw .features(features) }
        guard actions >= 1 else { throw .actions(actions) }
        guard noise >= 0, noise.isFinite else { throw .noise(noise) }
        guard weights.count == features * actions else { throw .weights(weights.count, features * actions) }
        guard weights.allSatisfy(\.isFinite) else { throw .nonFiniteWeight }
        self.features = features
        self.actions = actions
        self.noise = noise
        self.weights = weights
    }

    /// Draws the weights N(0,1) from the generator in row-major order.
    public static func draw<R: RandomSource>(
        features: Int, actions: Int, noise: Double = 0.1, using rng: inout R
    ) throws(WorldError) -> World {
        guard (1...maximumFeatures).contains(features) else { throw .features(features) }
        guard actions >= 1 else { throw .actions(actions) }
        var weights = [Double](repeating: 0, count: features * actions)
        for i in weights.indices { weights[i] = rng.nextNormal() }
        return try World(features: features, actions: actions, noise: noise, weights: weights)
    }

    public static func draw(
        features: Int, actions: Int, noise: Double = 0.1, using generator: inout Generator
    ) throws(WorldError) -> World {
        switch generator {
        case .numpy(var g):
            defer { generator = .numpy(g) }
            return try draw(features: features, actions: actions, noise: noise, using: &g)
        case .fast(var g):
            defer { generator = .fast(g) }
            return try draw(features: features, actions: actions, noise: noise, using: &g)
        }
    }

    /// `(context * weights[:, action]).mean()` with numpy's products and summation order.
    @inline(__always)
    public func logMean(context: UInt64, action: Int) -> Double {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: features) { products in
            weights.withUnsafeBufferPointer { w in
                for j in 0..<features {
                    products[j] = Double((context >> UInt64(j)) & 1) * w[j * actions + action]
                }
            }
            return pairwiseSum(products.baseAddress!, features)
        } / Double(features)
    }

    /// The expected viewing time of a post for a context: the log-normal mean exp(μ + σ²/2).
    public func expectedViewingTime(context: UInt64, action: Int) -> Double {
        Foundation.exp(logMean(context: context, action: action) + noise * noise / 2)
    }

    /// Work the oracle may do (additions), so that absurdly large worlds still answer at once.
    static let oracleBudget = 1 << 28

    /// Expected viewing time of the best post per context and of a uniformly random post, averaged
    /// over the context distribution. The random post's is exact (the features are independent, so
    /// the expectation factorises). The best post's is exact by enumeration while there are at most
    /// 20 random features and 2^(d−1)·K stays within the budget; beyond, it is estimated from up to
    /// 2^20 contexts drawn from a fixed stream.
    public func oracle() -> Oracle {
        let d = features, k = actions
        let lognormal = Foundation.exp(noise * noise / 2)
        // A uniform post: features are independent, so E[exp(Σ c_j w_j / d)] factorises.
        var uniform = 0.0
        for a in 0..<k {
            var factor = Foundation.exp(weights[a] / Double(d))
            for j in 1..<max(d, 1) { factor *= (1 + Foundation.exp(weights[j * k + a] / Double(d))) / 2 }
            uniform += factor
        }
        uniform = uniform / Double(k) * lognormal

        let randomFeatures = d - 1
        if randomFeatures <= 20 && (1 << randomFeatures) * k <= Self.oracleBudget {
            // Split the random features into a low and a high block and tabulate each block's sums.
            let lowBits = randomFeatures / 2, highBits = randomFeatures - lowBits
            let low = blockSums(firstFeature: 1, count: lowBits, includeConstant: true)
            let high = blockSums(firstFeature: 1 + lowBits, count: highBits, includeConstant: false)
            var total = 0.0
            for h in 0..<(1 << highBits) {
                for l in 0..<(1 << lowBits) {
                    var best = -Double.infinity
                    for a in 0..<k { best = max(best, low[l * k + a] + high[h * k + a]) }
                    total += Foundation.exp(best / Double(d))
                }
            }
            return Oracle(best: total / Double(1 << randomFeatures) * lognormal, uniform: uniform, exact: true)
        }
        var stream = Xoshiro256(seed: 0x6f72_6163_6c65)
        let samples = max(16, min(1 << 20, Self.oracleBudget / (k * d)))
        var total = 0.0
        for _ in 0..<samples {
            let context = stream.nextContext(features: d)
            var best = -Double.infinity
            for a in 0..<k { best = max(best, logMean(context: context, action: a)) }
            total += Foundation.exp(best)
        }
        return Oracle(best: total / Double(samples) * lognormal, uniform: uniform, exact: false)
    }

    /// For every pattern of `count` features starting at `firstFeature`, each post's sum of weights.
    private func blockSums(firstFeature: Int, count: Int, includeConstant: Bool) -> [Double] {
        let k = actions
        var sums = [Double](repeating: 0, count: (1 << count) * k)
        for pattern in 0..<(1 << count) {
            for a in 0..<k {
                var sum = includeConstant ? weights[a] : 0
                for bit in 0..<count where pattern >> bit & 1 == 1 { sum += weights[(firstFeature + bit) * k + a] }
                sums[pattern * k + a] = sum
            }
        }
        return sums
    }
}

/// What a perfect recommender and a random one would achieve on a world.
public struct Oracle: Sendable, Equatable {
    /// Expected viewing time when the best post is chosen for every context.
    public let best: Double
    /// Expected viewing time of a uniformly random post.
    public let uniform: Double
    /// False when `best` is a Monte Carlo estimate (more than 20 random features).
    public let exact: Bool
}

public enum WorldError: Error, Equatable, CustomStringConvertible {
    case features(Int)
    case actions(Int)
    case noise(Double)
    case weights(Int, Int)
    case nonFiniteWeight

    public var description: String {
        switch self {
        case .features(let d): "features must be between 1 and \(World.maximumFeatures) (the constant included), not \(d)"
        case .actions(let k): "actions must be at least 1, not \(k)"
        case .noise(let s): "noise must be a finite number ≥ 0, not \(s)"
        case .weights(let got, let want): "the world needs \(want) weights, got \(got)"
        case .nonFiniteWeight: "every weight must be a finite number"
        }
    }
}
