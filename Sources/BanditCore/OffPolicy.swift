// Off-policy estimators: the value of a target policy from decisions another policy logged.

import Foundation

/// One logged decision as the estimators see it: what the logging policy chose with what
/// probability and what it earned, and what the target policy and a reward model say of that
/// context: π(a_i|x_i), Σ_a π(a|x_i)·q̂(x_i, a), q̂(x_i, a_i), and (when the logging policy's whole
/// distribution μ(·|x_i) is known) the target's probability on posts μ gives none.
///
/// Scalars only, so that a million imported decisions over many posts cost a few words each.
public struct EvaluatedDecision: Sendable, Equatable {
    public var propensity: Double
    public var reward: Double
    /// π(a_i|x_i): the target's probability of the logged post.
    public var targetProbability: Double
    /// Σ_a π(a|x_i)·q̂(x_i, a): the direct method's term.
    public var direct: Double
    /// q̂(x_i, a_i): the model's prediction of the logged post.
    public var modelAtAction: Double
    /// Σ_a π(a|x_i)·[μ(a|x_i) = 0], or nil when μ is unknown.
    public var unsupported: Double?

    public init(propensity: Double, reward: Double, targetProbability: Double, direct: Double, modelAtAction: Double,
                unsupported: Double?) {
        precondition(propensity > 0)
        self.propensity = propensity
        self.reward = reward
        self.targetProbability = targetProbability
        self.direct = direct
        self.modelAtAction = modelAtAction
        self.unsupported = unsupported
    }

    /// From whole distributions: the target's π(·|x), the model's q̂(x, ·) and, when known, the
    /// logging policy's μ(·|x), over the same posts.
    public init(action: Int, propensity: Double, reward: Double, target: [Double], model: [Double], logging: [Double]? = nil) {
        precondition(target.count == model.count && action < target.count)
        precondition(logging.map { $0.count == target.count } ?? true)
        let unsupported = logging.map { mu in zip(target, mu).reduce(0.0) { $0 + ($1.1 == 0 ? $1.0 : 0) } }
        self.init(propensity: propensity, reward: reward, targetProbability: target[action],
                  direct: zip(target, model).reduce(0.0) { $0 + $1.0 * $1.1 }, modelAtAction: model[action],
                  unsupported: unsupported)
    }

    var weight: Double { targetProbability / propensity }
}

/// The estimators of issue 16, over n logged decisions with importance weights w_i = π(a_i|x_i)/p_i.
public enum OffPolicyEstimator: String, Sendable, CaseIterable {
    /// Inverse propensity scoring: (1/n) Σ w_i r_i.
    case ips
    /// Self-normalised IPS: Σ w_i r_i / Σ w_i.
    case snips
    /// The direct method: (1/n) Σ_i Σ_a π(a|x_i) q̂(x_i, a).
    case dm
    /// Doubly robust: DM + (1/n) Σ w_i (r_i − q̂(x_i, a_i)).
    case dr

    /// Whether the estimator weights logged rewards, and so needs the target's support in the logs.
    public var needsSupport: Bool { self != .dm }
}

/// How an estimate's 95% interval is made.
public enum IntervalMethod: Sendable, Equatable {
    /// The estimate ± z standard errors, the standard error from the per-decision terms.
    case normal
    /// The 2.5% and 97.5% percentiles of the estimator over `replicates` resamples of the
    /// decisions (with replacement, from a stream fixed by `seed`); the standard error is their
    /// standard deviation.
    case bootstrap(replicates: Int, seed: UInt64)

    /// Resamples of the percentile bootstrap, as `ci bootstrap` makes them.
    public static let defaultReplicates = 1_000
}

/// An estimate with its standard error and 95% interval.
public struct OffPolicyEstimate: Sendable, Equatable {
    public var estimator: OffPolicyEstimator
    public var value: Double
    public var standardError: Double
    public var lower: Double
    public var upper: Double

    public init(estimator: OffPolicyEstimator, value: Double, standardError: Double, lower: Double, upper: Double) {
        self.estimator = estimator
        self.value = value
        self.standardError = standardError
        self.lower = lower
        self.upper = upper
    }

    public func covers(_ truth: Double) -> Bool { lower <= truth && truth <= upper }
}

/// What the logs say of a target policy: every estimator's estimate and the weights' health.
public struct OffPolicyReport: Sendable, Equatable {
    public var estimates: [OffPolicyEstimate]
    /// (Σw)²/Σw²: how many decisions the weighted ones are worth.
    public var effectiveSampleSize: Double
    public var largestWeight: Double
    /// The share of the target's probability on posts the logging policy could not choose there
    /// (nil when the logging distributions are unknown). Above 0, IPS, SNIPS and DR are biased.
    public var unsupported: Double?
    public var decisions: Int

    /// The 97.5% quantile of the standard normal: a 95% interval is the estimate ± this many standard errors.
    public static let z = 1.959963984540054

    /// The estimates over `decisions` (at least two), with intervals made by `interval`.
    public init(_ decisions: [EvaluatedDecision], interval: IntervalMethod = .normal) {
        precondition(decisions.count >= 2)
        let n = Double(decisions.count)
        let values = Self.values(decisions, indices: decisions.indices)
        let weights = decisions.map(\.weight)
        let weightSum = weights.reduce(0, +)
        let meanWeight = weightSum / n
        let snips = values[1]
        func normal(_ estimator: OffPolicyEstimator, value: Double, terms: [Double]) -> OffPolicyEstimate {
            let mean = terms.reduce(0, +) / n
            let variance = terms.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
            let se = variance.squareRoot() / n.squareRoot()
            return OffPolicyEstimate(estimator: estimator, value: value, standardError: se,
                                     lower: value - Self.z * se, upper: value + Self.z * se)
        }
        switch interval {
        case .normal:
            // SNIPS's standard error by the delta method: the ratio's linearised terms.
            estimates = [
                normal(.ips, value: values[0], terms: decisions.map { $0.weight * $0.reward }),
                normal(.snips, value: snips, terms: decisions.map { $0.weight * ($0.reward - snips) / meanWeight }),
                normal(.dm, value: values[2], terms: decisions.map(\.direct)),
                normal(.dr, value: values[3], terms: decisions.map(Self.doublyRobustTerm)),
            ]
        case .bootstrap(let replicates, let seed):
            estimates = Self.bootstrap(decisions, values: values, replicates: replicates, seed: seed)
        }
        // No evaluated decision is one the target would make: nothing weighs, SNIPS is 0/0.
        effectiveSampleSize = weightSum == 0 ? 0 : weightSum * weightSum / weights.reduce(0) { $0 + $1 * $1 }
        if weightSum == 0 {
            estimates[1] = OffPolicyEstimate(estimator: .snips, value: 0, standardError: 0, lower: 0, upper: 0)
        }
        largestWeight = weights.max()!
        if decisions.allSatisfy({ $0.unsupported != nil }) {
            unsupported = decisions.reduce(0) { $0 + $1.unsupported! } / n
        } else {
            unsupported = nil
        }
        self.decisions = decisions.count
    }

    private static func doublyRobustTerm(_ d: EvaluatedDecision) -> Double {
        d.direct + d.weight * (d.reward - d.modelAtAction)
    }

    /// IPS, SNIPS, DM and DR over the decisions at `indices` (repeats allowed: a resample).
    private static func values<Indices: Collection<Int>>(_ decisions: [EvaluatedDecision], indices: Indices) -> [Double] {
        var weighted = 0.0, weightSum = 0.0, direct = 0.0, robust = 0.0
        for i in indices {
            let d = decisions[i], w = d.weight
            weighted += w * d.reward
            weightSum += w
            direct += d.direct
            robust += doublyRobustTerm(d)
        }
        let n = Double(indices.count)
        return [weighted / n, weighted / weightSum, direct / n, robust / n]
    }

    /// Percentile intervals: each estimator over `replicates` resamples, its 2.5% and 97.5%
    /// percentiles (linear between order statistics, as numpy's `percentile`) and standard deviation.
    private static func bootstrap(_ decisions: [EvaluatedDecision], values: [Double], replicates: Int, seed: UInt64) -> [OffPolicyEstimate] {
        precondition(replicates >= 2)
        var rng = Xoshiro256(seed: seed)
        var resampled = [[Double]](repeating: [], count: 4)
        var indices = [Int](repeating: 0, count: decisions.count)
        for _ in 0..<replicates {
            for i in indices.indices { indices[i] = rng.nextInt(below: decisions.count) }
            for (e, value) in Self.values(decisions, indices: indices).enumerated() { resampled[e].append(value) }
        }
        return OffPolicyEstimator.allCases.enumerated().map { e, estimator in
            // A resample without weight has no SNIPS (0/0): the percentiles are over those that have one.
            let sorted = resampled[e].filter { !$0.isNaN }.sorted()
            guard sorted.count >= 2 else {
                return OffPolicyEstimate(estimator: estimator, value: values[e], standardError: 0, lower: values[e], upper: values[e])
            }
            let mean = sorted.reduce(0, +) / Double(sorted.count)
            let variance = sorted.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(sorted.count - 1)
            return OffPolicyEstimate(estimator: estimator, value: values[e], standardError: variance.squareRoot(),
                                     lower: percentile(sorted, 0.025), upper: percentile(sorted, 0.975))
        }
    }

    /// numpy's default ("linear") percentile of sorted values.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        let position = q * Double(sorted.count - 1)
        let below = Int(position.rounded(.down)), above = min(below + 1, sorted.count - 1)
        let fraction = position - Double(below)
        return sorted[below] + (sorted[above] - sorted[below]) * fraction
    }

    public func estimate(_ estimator: OffPolicyEstimator) -> OffPolicyEstimate {
        estimates.first { $0.estimator == estimator }!
    }

    /// Whether an estimator's number means anything here: those that weight logged rewards do not
    /// when the target puts probability where the logs have none, and SNIPS does not when no
    /// evaluated decision carries any weight (Σw = 0: it is 0/0).
    public func isUsable(_ estimator: OffPolicyEstimator) -> Bool {
        guard estimator != .snips || effectiveSampleSize > 0 else { return false }
        return !estimator.needsSupport || (unsupported ?? 0) == 0
    }
}
