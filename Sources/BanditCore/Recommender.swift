// The learner: its coefficients, what it has seen, how it decides and how it refits.

/// A recommender with the notebook's decision rules, initial random coefficients and refits.
///
/// Greedy and ε-greedy keep per-action sufficient statistics (XᵀX, Xᵀy) updated as decisions are
/// recorded, so a fit costs O(K·d³) however many decisions were logged. Thompson sampling keeps each
/// action's samples, since every fit draws B bootstrap resamples of them (`EnsembleFit`). Decisions
/// look up every member's greedy choice in a `ChoiceCache` that each fit empties.
public struct Recommender: Sendable {
    public let policy: Policy
    public let features: Int
    public let actions: Int
    /// Coefficient sets: 1 for greedy and ε-greedy, the ensemble's size for Thompson sampling.
    public private(set) var members: Int
    /// members × features × actions: the coefficient of feature j for post a in member m is at
    /// `(m * features + j) * actions + a`, so that a context's predictions add whole rows.
    public private(set) var coefficients: [Double]
    /// Decisions recorded per action since the reset.
    public private(set) var counts: [Int]
    /// Fits since the reset.
    public private(set) var fits: Int

    /// Greedy and ε-greedy: XᵀX and Xᵀy of each post's decisions (see `NormalEquations`), and what
    /// solves them one post at a time.
    private var gram: [Double]
    private var moment: [Double]
    private var solver: PseudoInverseSolver
    private var solution: [Double]
    /// Thompson sampling: the log in decision order, grouped by post at each fit for `ensemble`.
    private var logContexts: [UInt64] = []
    private var logActions: [Int32] = []
    private var logRewards: [Double] = []
    private var postLog = PostLog()
    private var ensemble: EnsembleFit?
    private var choices: ChoiceCache

    /// A reset recommender: its initial coefficients are drawn N(0,1) as the notebook's `reset()`.
    ///
    /// Thompson sampling's reset draws K ensembles of K coefficient vectors when the generator
    /// reproduces the notebook (its quirk: B is only used from the first fit on), B otherwise.
    public init<R: RandomSource>(policy: Policy, features: Int, actions: Int, using rng: inout R) {
        let d = features, k = actions
        let members: Int
        switch policy {
        case .greedy, .epsilonGreedy: members = 1
        case .thompson(let replicates): members = R.reproducesNotebook ? k : replicates
        }
        var coefficients = [Double](repeating: 0, count: members * d * k)
        for m in 0..<members {
            for a in 0..<k {
                for j in 0..<d { coefficients[(m * d + j) * k + a] = rng.nextNormal() }
            }
        }
        self.init(policy: policy, features: features, actions: actions, members: members,
                  coefficients: coefficients, fits: 0)
    }

    /// A recommender with given coefficients and nothing recorded yet: a checkpoint being restored,
    /// whose statistics the caller rebuilds by `record`ing the run's decisions in their logged order.
    public init(policy: Policy, features: Int, actions: Int, members: Int, coefficients: [Double], fits: Int) {
        precondition(features >= 1 && features <= World.maximumFeatures && actions >= 1)
        precondition(members >= 1 && coefficients.count == members * features * actions)
        let d = features, k = actions
        self.policy = policy
        self.features = features
        self.actions = actions
        self.members = members
        self.coefficients = coefficients
        self.fits = fits
        counts = [Int](repeating: 0, count: k)
        let keepsStatistics = !policy.isThompson
        gram = [Double](repeating: 0, count: keepsStatistics ? k * d * d : 0)
        moment = [Double](repeating: 0, count: keepsStatistics ? k * d : 0)
        solver = PseudoInverseSolver(size: d)
        solution = [Double](repeating: 0, count: d)
        ensemble = policy.isThompson ? EnsembleFit(features: d) : nil
        choices = ChoiceCache(features: d, actions: k, members: members)
    }

    // MARK: Deciding

    /// The policy's decision for a context, with the exact probability that the policy chose it.
    @inline(__always)
    public mutating func decide<R: RandomSource>(context: UInt64, using rng: inout R) -> (action: Int, propensity: Double) {
        switch policy {
        case .greedy:
            let slot = choices.slot(for: context, coefficients: coefficients)
            return (choices[slot], 1)
        case .epsilonGreedy(let epsilon):
            let explore = rng.nextDouble() < epsilon
            let slot = choices.slot(for: context, coefficients: coefficients)
            let greedy = choices[slot]
            let action = explore ? rng.nextInt(below: actions) : greedy
            let uniform = epsilon / Double(actions)
            return (action, action == greedy ? 1 - epsilon + uniform : uniform)
        case .thompson:
            let member = rng.nextInt(below: members)
            let base = choices.slot(for: context, coefficients: coefficients)
            let action = choices[base + member]
            var agreeing = 0
            for m in 0..<members where choices[base + m] == action { agreeing += 1 }
            return (action, Double(agreeing) / Double(members))
        }
    }

    /// The probability of each post under the policy for this context, given the current coefficients:
    /// the distribution that `decide` samples from.
    public mutating func propensities(context: UInt64) -> [Double] {
        var result = [Double](repeating: 0, count: actions)
        let base = choices.slot(for: context, coefficients: coefficients)
        switch policy {
        case .greedy:
            result[choices[base]] = 1
        case .epsilonGreedy(let epsilon):
            for a in 0..<actions { result[a] = epsilon / Double(actions) }
            result[choices[base]] += 1 - epsilon
        case .thompson:
            for m in 0..<members { result[choices[base + m]] += 1 }
            for a in 0..<actions { result[a] /= Double(members) }
        }
        return result
    }

    // MARK: Learning

    /// Takes one logged decision into what the next fit will use.
    @inline(__always)
    public mutating func record(context: UInt64, action: Int, reward: Double) {
        counts[action] += 1
        if policy.isThompson {
            logContexts.append(context)
            logActions.append(Int32(action))
            logRewards.append(reward)
        } else {
            NormalEquations.add(context, weight: 1, weightedReward: reward, features: features,
                                gram: &gram, moment: &moment, post: action)
        }
    }

    /// Refits on everything recorded since the reset: per-action least squares β = pinv(XᵀX)·Xᵀy,
    /// zeros for a post never shown; for Thompson sampling, once per bootstrap replicate.
    public mutating func fit<R: RandomSource>(using rng: inout R) {
        let d = features, k = actions
        switch policy {
        case .greedy, .epsilonGreedy:
            Self.leastSquares(counts: counts, features: d, gram: gram, moment: moment, solver: &solver,
                              solution: &solution, into: &coefficients)
        case .thompson(let replicates):
            if members != replicates {
                members = replicates
                coefficients = [Double](repeating: 0, count: members * d * k)
                choices.resize(members: members)
            }
            postLog.group(contexts: logContexts, actions: logActions, rewards: logRewards, counts: counts, features: d)
            ensemble!.fit(postLog, members: members, actions: k, into: &coefficients, using: &rng)
        }
        fits += 1
        choices.forget()
    }

    /// Greedy and ε-greedy: each post's coefficients from its running XᵀX and Xᵀy, zeros if never shown.
    private static func leastSquares(
        counts: [Int], features d: Int, gram: [Double], moment: [Double],
        solver: inout PseudoInverseSolver, solution: inout [Double], into coefficients: inout [Double]
    ) {
        let k = counts.count, gram = gram.span, moment = moment.span
        var beta = solution.mutableSpan, coefficients = coefficients.mutableSpan
        for a in 0..<k {
            guard counts[a] > 0 else {
                for j in 0..<d { coefficients[j * k + a] = 0 }
                continue
            }
            solver.solve(gram.extracting((a * d * d)..<((a + 1) * d * d)), moment.extracting((a * d)..<((a + 1) * d)),
                         into: &beta)
            for j in 0..<d { coefficients[j * k + a] = beta[j] }
        }
    }
}

extension Policy {
    var isThompson: Bool {
        if case .thompson = self { return true }
        return false
    }
}
