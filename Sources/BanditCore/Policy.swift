// The recommendation policies and their canonical labels.

/// How the recommender turns what it has learned into a decision.
public enum Policy: Sendable, Hashable, CustomStringConvertible {
    /// The post with the highest predicted viewing time (first maximum on ties).
    case greedy
    /// With probability ε a uniformly random post, otherwise the greedy one.
    case epsilonGreedy(Double)
    /// Thompson sampling: the greedy choice of one of B bootstrap replicates, drawn per decision.
    case thompson(Int)
    /// Every post with probability 1/K.
    case uniform
    /// ε-greedy with ε = min(1, c/t) on day t.
    case epsilonDecay(Double)
    /// Boltzmann exploration: post a with probability ∝ exp(q_a/τ) over the greedy predictions.
    case softmax(Double)
    /// LinUCB: the largest xᵀβ_a + α·sqrt(xᵀA_a⁻¹x) of per-post ridge regressions, ties uniform.
    case linUCB(Double)
    /// Linear Thompson sampling: each post's score drawn from N(xᵀβ_a, v²·xᵀA_a⁻¹x), the largest wins.
    case linTS(Double)
    /// Online bootstrap Thompson sampling: B members, each decision entering each with a Poisson(1) weight.
    case onlineBootstrap(Int)

    /// The canonical label shown wherever a policy is: `greedy`, `eps:0.1`, `ts:30`, `linucb:1`, …
    public var label: String {
        switch self {
        case .greedy: "greedy"
        case .uniform: "uniform"
        case .epsilonGreedy(let epsilon): "eps:" + Self.text(epsilon)
        case .thompson(let replicates): "ts:\(replicates)"
        case .epsilonDecay(let c): "epsdecay:" + Self.text(c)
        case .softmax(let temperature): "softmax:" + Self.text(temperature)
        case .linUCB(let alpha): "linucb:" + Self.text(alpha)
        case .linTS(let scale): "lints:" + Self.text(scale)
        case .onlineBootstrap(let members): "ots:\(members)"
        }
    }

    public var description: String { label }

    /// Shortest text that reads back as the same number, without a trailing ".0": 1, 0.1, 1e-05.
    public static func text(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }

    /// Parses a canonical label (`greedy`, `eps:E`, `ts:B`, `uniform`, `epsdecay:C`, `softmax:T`,
    /// `linucb:A`, `lints:V`, `ots:B`).
    public init(label: String) throws(PolicyError) {
        let parts = label.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let name = parts[0], value = parts.count == 2 ? parts[1] : nil
        switch (name, value) {
        case ("greedy", nil): self = .greedy
        case ("uniform", nil): self = .uniform
        case ("eps", let value?):
            guard let epsilon = Double(value) else { throw .epsilon(value) }
            self = try .epsilon(epsilon)
        case ("ts", let value?):
            guard let replicates = Int(value) else { throw .replicates(value) }
            self = try .thompson(replicates: replicates)
        case ("ots", let value?):
            guard let members = Int(value) else { throw .replicates(value) }
            self = try .onlineBootstrap(members: members)
        case ("epsdecay", let value?), ("softmax", let value?), ("linucb", let value?), ("lints", let value?):
            let parameter = Parameter(rawValue: name)!
            guard let number = Double(value) else { throw .parameter(parameter, value) }
            self = try .parametrised(parameter, number)
        default: throw .unknown(label)
        }
    }

    /// ε-greedy with a checked ε.
    public static func epsilon(_ epsilon: Double) throws(PolicyError) -> Policy {
        guard epsilon >= 0, epsilon <= 1 else { throw .epsilon("\(epsilon)") }
        return .epsilonGreedy(epsilon)
    }

    /// Thompson sampling with a checked number of bootstrap replicates.
    public static func thompson(replicates: Int) throws(PolicyError) -> Policy {
        guard (1...Self.maximumReplicates).contains(replicates) else { throw .replicates("\(replicates)") }
        return .thompson(replicates)
    }

    /// Online bootstrap Thompson sampling with a checked number of members.
    public static func onlineBootstrap(members: Int) throws(PolicyError) -> Policy {
        guard (1...Self.maximumReplicates).contains(members) else { throw .replicates("\(members)") }
        return .onlineBootstrap(members)
    }

    /// The policies with one real parameter, by their label's word.
    public enum Parameter: String, Sendable, CaseIterable {
        case epsdecay, softmax, linucb, lints

        /// What the parameter is, in a sentence's words, and its allowed range.
        var meaning: String {
            switch self {
            case .epsdecay: "the decay constant c of epsdecay:c must be a number > 0"
            case .softmax: "the temperature τ of softmax:τ must be a number > 0"
            case .linucb: "the exploration weight α of linucb:α must be a number ≥ 0"
            case .lints: "the posterior scale v of lints:v must be a number ≥ \(Policy.minimumPosteriorScale)"
            }
        }
    }

    /// A policy of one real parameter, checked: finite, and positive (α may be 0).
    public static func parametrised(_ parameter: Parameter, _ value: Double) throws(PolicyError) -> Policy {
        let smallest = parameter == .lints ? Self.minimumPosteriorScale : 0
        guard value.isFinite, value > smallest || value == smallest && parameter != .epsdecay && parameter != .softmax,
              value <= Self.maximumParameter else {
            throw .parameter(parameter, "\(value)")
        }
        switch parameter {
        case .epsdecay: return .epsilonDecay(value)
        case .softmax: return .softmax(value)
        case .linucb: return .linUCB(value)
        case .lints: return .linTS(value)
        }
    }

    public static let maximumReplicates = 10_000
    /// The largest c, τ, α or v: beyond it every choice is uniform or every score the same anyway.
    public static let maximumParameter = 1e12
    /// The smallest v of lints:v. Below it LinTS is greedy for any purpose, and the deviations of its
    /// scores could round to 0, where the probability of the largest score is no longer an integral.
    public static let minimumPosteriorScale = 1e-6

    /// Policies that fit per-post ridge regressions (λ from the protocol's `ridge`).
    public var usesRidge: Bool {
        switch self {
        case .linUCB, .linTS, .onlineBootstrap: true
        default: false
        }
    }
}

public enum PolicyError: Error, Equatable, CustomStringConvertible {
    case unknown(String)
    case epsilon(String)
    case replicates(String)
    case parameter(Policy.Parameter, String)

    public var description: String {
        switch self {
        case .unknown(let label):
            "unknown policy '\(label)': expected greedy, eps:E, ts:B, uniform, epsdecay:C, softmax:T, linucb:A, lints:V or ots:B"
        case .epsilon(let text): "epsilon must be a number between 0 and 1, not '\(text)'"
        case .replicates(let text):
            "the number of bootstrap replicates must be an integer between 1 and \(Policy.maximumReplicates), not '\(text)'"
        case .parameter(let parameter, let text):
            "\(parameter.meaning) (at most \(Int(Policy.maximumParameter))), not '\(text)'"
        }
    }
}
