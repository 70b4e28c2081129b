// The recommendation policies of the notebook and their canonical labels.

/// How the recommender turns its coefficients into a decision.
public enum Policy: Sendable, Hashable, CustomStringConvertible {
    /// The post with the highest predicted viewing time (first maximum on ties).
    case greedy
    /// With probability ε a uniformly random post, otherwise the greedy one.
    case epsilonGreedy(Double)
    /// Thompson sampling: the greedy choice of one of B bootstrap replicates, drawn per decision.
    case thompson(Int)

    /// The canonical label shown wherever a policy is: `greedy`, `eps:0.1`, `ts:30`.
    public var label: String {
        switch self {
        case .greedy: "greedy"
        // Shortest text that reads back as the same ε, without a trailing ".0": eps:1, eps:0.1.
        case .epsilonGreedy(let epsilon): "eps:" + (epsilon == epsilon.rounded() ? String(Int(epsilon)) : "\(epsilon)")
        case .thompson(let replicates): "ts:\(replicates)"
        }
    }

    public var description: String { label }

    /// Parses a canonical label (`greedy`, `eps:E`, `ts:B`).
    public init(label: String) throws(PolicyError) {
        let parts = label.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        switch (parts[0], parts.count) {
        case ("greedy", 1): self = .greedy
        case ("eps", 2):
            guard let epsilon = Double(parts[1]) else { throw .epsilon(parts[1]) }
            self = try .epsilon(epsilon)
        case ("ts", 2):
            guard let replicates = Int(parts[1]) else { throw .replicates(parts[1]) }
            self = try .thompson(replicates: replicates)
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

    public static let maximumReplicates = 10_000
}

public enum PolicyError: Error, Equatable, CustomStringConvertible {
    case unknown(String)
    case epsilon(String)
    case replicates(String)

    public var description: String {
        switch self {
        case .unknown(let label): "unknown policy '\(label)': expected greedy, eps:E or ts:B"
        case .epsilon(let text): "epsilon must be a number between 0 and 1, not '\(text)'"
        case .replicates(let text): "the number of bootstrap replicates must be an integer between 1 and \(Policy.maximumReplicates), not '\(text)'"
        }
    }
}
