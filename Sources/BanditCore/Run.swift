// One run of the notebook's protocol: reset, then day after day of logged decisions and refits.

/// A logged decision: who came, what was shown, how likely the policy was to show it, what happened.
public struct Decision: Sendable, Equatable {
    /// The context as a bit mask: bit j is feature j (bit 0, the constant, always set).
    public var context: UInt64
    public var action: Int
    /// The probability that the policy which chose `action` would choose it for this context.
    public var propensity: Double
    public var viewingTime: Double

    public init(context: UInt64, action: Int, propensity: Double, viewingTime: Double) {
        self.context = context
        self.action = action
        self.propensity = propensity
        self.viewingTime = viewingTime
    }
}

/// What one production day achieved.
public struct DaySummary: Sendable, Equatable {
    /// Days are numbered from 1.
    public var day: Int
    public var decisions: Int
    /// The day's average viewing time, summed in decision order as the notebook does.
    public var meanViewingTime: Double
    /// The oracle's expected viewing time minus the day's average.
    public var regret: Double
}

/// A run in progress: the world, the recommender, the generator, and the days played so far.
///
/// A value: copying a run checkpoints it. The decisions of the latest day are kept in `lastDay`;
/// earlier ones live in the recommender's statistics and in whatever store the caller keeps.
public struct Run: Sendable {
    public let world: World
    public let policy: Policy
    /// The oracle's expected viewing time, used for regret.
    public let oracleValue: Double
    public private(set) var recommender: Recommender
    public private(set) var generator: Generator
    public private(set) var days: [DaySummary] = []
    /// The decisions of the latest day played.
    public private(set) var lastDay: [Decision] = []

    /// Resets a recommender for `policy` (drawing its initial coefficients from `generator`).
    public init(world: World, policy: Policy, generator: Generator, oracleValue: Double) {
        self.world = world
        self.policy = policy
        self.oracleValue = oracleValue
        var generator = generator
        switch generator {
        case .numpy(var g):
            recommender = Recommender(policy: policy, features: world.features, actions: world.actions, using: &g)
            generator = .numpy(g)
        case .fast(var g):
            recommender = Recommender(policy: policy, features: world.features, actions: world.actions, using: &g)
            generator = .fast(g)
        }
        self.generator = generator
    }

    /// Plays one production day of `decisions` decisions with the current coefficients.
    @discardableResult
    public mutating func playDay(decisions: Int) -> DaySummary {
        precondition(decisions >= 1)
        switch generator {
        case .numpy(var g):
            defer { generator = .numpy(g) }
            return playDay(decisions: decisions, using: &g)
        case .fast(var g):
            defer { generator = .fast(g) }
            return playDay(decisions: decisions, using: &g)
        }
    }

    /// Refits the recommender on every decision of the run so far.
    public mutating func fit() {
        switch generator {
        case .numpy(var g):
            recommender.fit(using: &g)
            generator = .numpy(g)
        case .fast(var g):
            recommender.fit(using: &g)
            generator = .fast(g)
        }
    }

    private mutating func playDay<R: RandomSource>(decisions: Int, using rng: inout R) -> DaySummary {
        lastDay.removeAll(keepingCapacity: true)
        lastDay.reserveCapacity(decisions)
        var total = 0.0
        for _ in 0..<decisions {
            let context = rng.nextContext(features: world.features)
            let (action, propensity) = recommender.decide(context: context, using: &rng)
            let noise = world.noise * rng.nextNormal()
            let viewingTime = R.exp(world.logMean(context: context, action: action) + noise)
            recommender.record(context: context, action: action, reward: viewingTime)
            lastDay.append(Decision(context: context, action: action, propensity: propensity, viewingTime: viewingTime))
            total += viewingTime
        }
        let mean = total / Double(decisions)
        let summary = DaySummary(day: days.count + 1, decisions: decisions, meanViewingTime: mean, regret: oracleValue - mean)
        days.append(summary)
        return summary
    }
}
