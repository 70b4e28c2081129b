// Off-policy estimators: the value of a target policy from decisions another policy logged.

import Foundation

/// One logged decision as the estimators see it: what the logging policy chose with what
/// probability, what it earned, and, for the same context, the target policy's probabilities
/// π(·|x), a reward model's predictions q̂(x, ·), and (when known) the logging policy's whole
/// distribution μ(·|x), which says where the target has no support.
public struct EvaluatedDecision: Sendable {
    public var action: Int
    public var propensity: Double
    public var reward: Double
    public var target: [Double]
    public var model: [Double]
    public var logging: [Double]?

    public init(action: Int, propensity: Double, reward: Double, target: [Double], model: [Double], logging: [Double]? = nil) {
        precondition(propensity > 0 && target.count == model.count && action < target.count)
        precondition(logging.map { $0.count == target.count } ?? true)
        self.action = action
        self.propensity = propensity
        self.reward = reward
        self.target = target
        self.model = model
        self.logging = logging
    }
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

/// An estimate with its standard error and 95% normal interval.
public struct OffPolicyEstimate: Sendable, Equatable {
    public var estimator: OffPolicyEstimator
    public var value: Double
    public var standardError: Double
    public var lower: Double
    public var upper: Double
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

    /// The 97.5% quantile of the standard normal: a 95% interval is the estimate ± this many standard errors.
    public static let z = 1.959963984540054

    /// The estimates over `decisions` (at least two).
    public init(_ decisions: [EvaluatedDecision]) {
        precondition(decisions.count >= 2)
        let n = Double(decisions.count)
        let weights = decisions.map { $0.target[$0.action] / $0.propensity }
        let direct = decisions.map { d in zip(d.target, d.model).reduce(0.0) { $0 + $1.0 * $1.1 } }
        let ips = zip(weights, decisions).map { $0 * $1.reward }
        let dr = decisions.indices.map { i in direct[i] + weights[i] * (decisions[i].reward - decisions[i].model[decisions[i].action]) }
        let weightSum = weights.reduce(0, +)
        let snips = ips.reduce(0, +) / weightSum
        let meanWeight = weightSum / n
        // SNIPS's standard error by the delta method: the ratio's linearised terms.
        let snipsTerms = decisions.indices.map { weights[$0] * (decisions[$0].reward - snips) / meanWeight }
        func estimate(_ estimator: OffPolicyEstimator, value: Double, terms: [Double]) -> OffPolicyEstimate {
            let mean = terms.reduce(0, +) / n
            let variance = terms.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
            let se = variance.squareRoot() / n.squareRoot()
            return OffPolicyEstimate(estimator: estimator, value: value, standardError: se,
                                     lower: value - Self.z * se, upper: value + Self.z * se)
        }
        estimates = [
            estimate(.ips, value: ips.reduce(0, +) / n, terms: ips),
            estimate(.snips, value: snips, terms: snipsTerms),
            estimate(.dm, value: direct.reduce(0, +) / n, terms: direct),
            estimate(.dr, value: dr.reduce(0, +) / n, terms: dr),
        ]
        effectiveSampleSize = weightSum * weightSum / weights.reduce(0) { $0 + $1 * $1 }
        largestWeight = weights.max()!
        if decisions.allSatisfy({ $0.logging != nil }) {
            var total = 0.0
            for d in decisions {
                for (p, mu) in zip(d.target, d.logging!) where mu == 0 { total += p }
            }
            unsupported = total / n
        } else {
            unsupported = nil
        }
    }

    public func estimate(_ estimator: OffPolicyEstimator) -> OffPolicyEstimate {
        estimates.first { $0.estimator == estimator }!
    }

    /// Whether an estimator's number means anything here: those that weight logged rewards do not
    /// when the target puts probability where the logs have none.
    public func isUsable(_ estimator: OffPolicyEstimator) -> Bool {
        !estimator.needsSupport || (unsupported ?? 0) == 0
    }
}
