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

/// Everything about a run that is not in its logged decisions: enough to continue it exactly.
public struct RunCheckpoint: Sendable, Equatable {
    public var daysPlayed: Int
    public var fits: Int
    /// Coefficient sets (1, or the ensemble's size).
    public var members: Int
    /// members × features × actions, the engine's layout (see `Recommender.coefficients`).
    public var coefficients: [Double]
    public var generator: Generator
    /// How many of the logged decisions the last fit used (LinUCB's and LinTS's A⁻¹ are of those);
    /// nil: all of them.
    public var fittedDecisions: Int?
    /// The online bootstrap's key for its Poisson weights; 0 for other policies.
    public var bagKey: UInt64

    public init(daysPlayed: Int, fits: Int, members: Int, coefficients: [Double], generator: Generator,
                fittedDecisions: Int? = nil, bagKey: UInt64 = 0) {
        self.daysPlayed = daysPlayed
        self.fits = fits
        self.members = members
        self.coefficients = coefficients
        self.generator = generator
        self.fittedDecisions = fittedDecisions
        self.bagKey = bagKey
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

    public init(day: Int, decisions: Int, meanViewingTime: Double, regret: Double) {
        self.day = day
        self.decisions = decisions
        self.meanViewingTime = meanViewingTime
        self.regret = regret
    }
}

/// A run in progress: the world, the recommender, the generator, and the days played so far.
///
/// A value: copying a run checkpoints it. The decisions of the latest day are kept in `lastDay`;
/// earlier ones live in the recommender's statistics and in whatever store the caller keeps.
public struct Run: Sendable {
    public let world: World
    public let policy: Policy
    /// Uniform days at the start (see `Schedule.warmup`).
    public let warmup: Int
    /// The oracle's expected viewing time, used for regret.
    public let oracleValue: Double
    public private(set) var recommender: Recommender
    public private(set) var generator: Generator
    public private(set) var days: [DaySummary] = []
    /// The decisions of the latest day played.
    public private(set) var lastDay: [Decision] = []

    /// Resets a recommender for `policy` (drawing its initial coefficients from `generator`), with
    /// the protocol's ridge λ and warm-up days.
    public init(world: World, policy: Policy, generator: Generator, oracleValue: Double, ridge: Double = 1, warmup: Int = 0) {
        self.world = world
        self.policy = policy
        self.oracleValue = oracleValue
        self.warmup = warmup
        var generator = generator
        switch generator {
        case .numpy(var g):
            recommender = Recommender(policy: policy, features: world.features, actions: world.actions, ridge: ridge, using: &g)
            generator = .numpy(g)
        case .fast(var g):
            recommender = Recommender(policy: policy, features: world.features, actions: world.actions, ridge: ridge, using: &g)
            generator = .fast(g)
        }
        self.generator = generator
    }

    /// What a store needs to continue this run exactly: coefficients and generator as they are now.
    public var checkpoint: RunCheckpoint {
        RunCheckpoint(daysPlayed: days.count, fits: recommender.fits, members: recommender.members,
                      coefficients: recommender.coefficients, generator: generator,
                      fittedDecisions: recommender.fittedDecisions, bagKey: recommender.bagKey)
    }

    /// A run continued from a checkpoint and the decisions logged before it, day by day in order.
    /// Playing on gives, bit for bit, what the uninterrupted run would have.
    public init(
        world: World, policy: Policy, oracleValue: Double, ridge: Double = 1, warmup: Int = 0,
        checkpoint: RunCheckpoint, days: [DaySummary], history: [[Decision]]
    ) {
        precondition(days.count == checkpoint.daysPlayed && history.count == days.count)
        self.world = world
        self.policy = policy
        self.oracleValue = oracleValue
        self.warmup = warmup
        var recommender = Recommender(
            policy: policy, features: world.features, actions: world.actions, ridge: ridge,
            members: checkpoint.members, coefficients: checkpoint.coefficients, fits: checkpoint.fits,
            bagKey: checkpoint.bagKey)
        let logged = history.reduce(0) { $0 + $1.count }
        let fitted = min(checkpoint.fittedDecisions ?? logged, logged)
        if fitted == 0 { recommender.restoreFit(fittedDecisions: 0) }
        for day in history {
            for decision in day {
                recommender.record(context: decision.context, action: decision.action, reward: decision.viewingTime)
                if recommender.decisionsRecorded == fitted { recommender.restoreFit(fittedDecisions: fitted) }
            }
        }
        self.recommender = recommender
        self.generator = checkpoint.generator
        self.days = days
        self.lastDay = history.last ?? []
    }

    /// Continues on another generator: a live run shares its experiment's stream, which other work
    /// (a reseed, a batch of runs) may have moved on since this run last drew from it.
    public mutating func useGenerator(_ generator: Generator) {
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

    /// The policy's distribution over the posts for a context on day `day`, with the coefficients
    /// as they stand: after `playDay`, and before the fit that follows it, what that day's
    /// decisions were drawn from.
    public mutating func distribution(context: UInt64, day: Int) -> [Double] {
        recommender.beginDay(day, warmup: warmup)
        return recommender.propensities(context: context)
    }

    private mutating func playDay<R: RandomSource>(decisions: Int, using rng: inout R) -> DaySummary {
        recommender.beginDay(days.count + 1, warmup: warmup)
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
