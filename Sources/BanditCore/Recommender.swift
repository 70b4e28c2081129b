// The learner: its coefficients, what it has seen, how it decides and how it refits.

import Foundation

/// A recommender: the notebook's decision rules, initial random coefficients and refits, and the
/// policies beyond the notebook (see `Policy`).
///
/// All but the two bootstraps keep per-action sufficient statistics (XᵀX, Xᵀy) updated as decisions
/// are recorded, so a fit costs O(K·d³) however many decisions were logged: least squares for the
/// notebook's policies, softmax, epsdecay and uniform; ridge regressions with their inverses A⁻¹
/// for LinUCB and LinTS. Thompson sampling keeps each action's samples, since every fit draws B
/// bootstrap resamples of them (`EnsembleFit`); the online bootstrap keeps each member's weighted
/// statistics (`OnlineBootstrap`). Greedy choices, ε-greedy's and both bootstraps' decisions look
/// up every member's greedy choice in a `ChoiceCache` that each fit empties.
public struct Recommender: Sendable {
    public let policy: Policy
    public let features: Int
    public let actions: Int
    /// λ of the ridge regressions (LinUCB, LinTS, online bootstrap).
    public let ridge: Double
    /// Coefficient sets: the ensemble's size for the bootstraps, 1 otherwise.
    public private(set) var members: Int
    /// members × features × actions: the coefficient of feature j for post a in member m is at
    /// `(m * features + j) * actions + a`, so that a context's predictions add whole rows.
    public private(set) var coefficients: [Double]
    /// Decisions recorded per action since the reset.
    public private(set) var counts: [Int]
    /// Fits since the reset.
    public private(set) var fits: Int
    /// Decisions recorded since the reset, and how many of them the last fit used.
    public private(set) var decisionsRecorded = 0
    public private(set) var fittedDecisions = 0
    /// The online bootstrap's key for its Poisson weights (0 for other policies).
    public var bagKey: UInt64 { bag?.key ?? 0 }
    /// The day being played (from 1), for epsdecay's ε; and whether it is a warm-up day, on which
    /// every policy chooses uniformly.
    public private(set) var day = 1
    public private(set) var warmingUp = false

    /// All but the two bootstraps: XᵀX and Xᵀy of each post's decisions (see `NormalEquations`), and
    /// what solves the notebook's least squares one post at a time.
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
    /// LinUCB and LinTS: each post's A⁻¹ = (λI + XᵀX)⁻¹ as of the last fit, entry (i, j) of post a
    /// at (i·d + j)·k + a (posts side by side, so that a context's spreads add whole rows), and what
    /// computes it, one post at a time into `postInverse` (d × d).
    private var inverses: [Double] = []
    private var postInverse: [Double] = []
    private var ridgeSolver: RidgeSolver
    /// LinUCB and LinTS: a context's score mean and spread per post (scratch of one decision).
    private var means: [Double]
    private var spreads: [Double]
    /// LinTS: propensities computed since the last fit, by context and post, and the integral's scratch.
    private var linTSPropensities: [LinTSKey: Double] = [:]
    private var competitors: [Int] = []
    /// Softmax: one context's weights exp((q_a − max q)/τ).
    private var softmaxWeights: [Double]
    /// Online bootstrap: the members' statistics.
    private var bag: OnlineBootstrap?

    /// A reset recommender. Its initial coefficients are drawn N(0,1) as the notebook's `reset()`,
    /// except LinUCB's and LinTS's, which start from their ridge prior: β = 0, A⁻¹ = I/λ.
    ///
    /// Thompson sampling's reset draws K ensembles of K coefficient vectors when the generator
    /// reproduces the notebook (its quirk: B is only used from the first fit on), B otherwise. The
    /// online bootstrap draws B, then its bag key (two 32-bit words, high first).
    public init<R: RandomSource>(policy: Policy, features: Int, actions: Int, ridge: Double = 1, using rng: inout R) {
        let d = features, k = actions
        let members: Int
        switch policy {
        case .thompson(let replicates): members = R.reproducesNotebook ? k : replicates
        case .onlineBootstrap(let replicates): members = replicates
        default: members = 1
        }
        var coefficients = [Double](repeating: 0, count: members * d * k)
        if !policy.startsFromPrior {
            for m in 0..<members {
                for a in 0..<k {
                    for j in 0..<d { coefficients[(m * d + j) * k + a] = rng.nextNormal() }
                }
            }
        }
        var bagKey: UInt64 = 0
        if case .onlineBootstrap = policy {
            let high = UInt64(rng.nextUInt32())
            bagKey = high << 32 | UInt64(rng.nextUInt32())
        }
        self.init(policy: policy, features: features, actions: actions, ridge: ridge, members: members,
                  coefficients: coefficients, fits: 0, bagKey: bagKey)
    }

    /// A recommender with given coefficients and nothing recorded yet: a checkpoint being restored,
    /// whose statistics the caller rebuilds by `record`ing the run's decisions in their logged order
    /// (calling `restoreFit()` once the decisions the last fit used are recorded).
    public init(policy: Policy, features: Int, actions: Int, ridge: Double = 1, members: Int, coefficients: [Double],
                fits: Int, bagKey: UInt64 = 0) {
        precondition(features >= 1 && features <= World.maximumFeatures && actions >= 1)
        precondition(members >= 1 && coefficients.count == members * features * actions)
        precondition(ridge > 0 && ridge.isFinite)
        let d = features, k = actions
        self.policy = policy
        self.features = features
        self.actions = actions
        self.ridge = ridge
        self.members = members
        self.coefficients = coefficients
        self.fits = fits
        counts = [Int](repeating: 0, count: k)
        let keepsStatistics = !policy.isThompson && !policy.isOnlineBootstrap
        gram = [Double](repeating: 0, count: keepsStatistics ? k * d * d : 0)
        moment = [Double](repeating: 0, count: keepsStatistics ? k * d : 0)
        solver = PseudoInverseSolver(size: d)
        solution = [Double](repeating: 0, count: d)
        ensemble = policy.isThompson ? EnsembleFit(features: d) : nil
        choices = ChoiceCache(features: d, actions: k, members: members)
        ridgeSolver = RidgeSolver(size: d)
        means = [Double](repeating: 0, count: policy.startsFromPrior ? k : 0)
        spreads = means
        softmaxWeights = [Double](repeating: 0, count: policy.isSoftmax ? k : 0)
        if policy.startsFromPrior {
            // The prior: A⁻¹ = I/λ for every post.
            inverses = [Double](repeating: 0, count: k * d * d)
            postInverse = [Double](repeating: 0, count: d * d)
            for a in 0..<k {
                for j in 0..<d { inverses[(j * d + j) * k + a] = 1 / ridge }
            }
        }
        if case .onlineBootstrap = policy {
            bag = OnlineBootstrap(members: members, features: d, actions: k, key: bagKey)
        }
    }

    // MARK: Deciding

    /// Starts day `day` (from 1): epsdecay's ε follows it, and on a warm-up day every decision is uniform.
    public mutating func beginDay(_ day: Int, warmup: Int) {
        precondition(day >= 1)
        self.day = day
        warmingUp = day <= warmup
    }

    /// The policy's decision for a context, with the exact probability that the policy chose it
    /// (LinTS's to within 1e-13, see `NormalArgmax`).
    @inline(__always)
    public mutating func decide<R: RandomSource>(context: UInt64, using rng: inout R) -> (action: Int, propensity: Double) {
        if warmingUp { return (rng.nextInt(below: actions), 1 / Double(actions)) }
        switch policy {
        case .greedy:
            let slot = choices.slot(for: context, coefficients: coefficients)
            return (choices[slot], 1)
        case .epsilonGreedy(let epsilon):
            return decideExploring(epsilon, context: context, using: &rng)
        case .epsilonDecay(let c):
            return decideExploring(Self.decayedEpsilon(c, day: day), context: context, using: &rng)
        case .thompson, .onlineBootstrap:
            let member = rng.nextInt(below: members)
            let base = choices.slot(for: context, coefficients: coefficients)
            let action = choices[base + member]
            var agreeing = 0
            for m in 0..<members where choices[base + m] == action { agreeing += 1 }
            return (action, Double(agreeing) / Double(members))
        case .uniform:
            return (rng.nextInt(below: actions), 1 / Double(actions))
        case .softmax(let temperature):
            let total = computeSoftmaxWeights(context: context, temperature: temperature)
            // The first post whose running sum of weights passes u·Σ (the last one if rounding leaves none).
            let target = rng.nextDouble() * total
            var running = 0.0, action = actions - 1
            for a in 0..<actions {
                running += softmaxWeights[a]
                if target < running {
                    action = a
                    break
                }
            }
            return (action, softmaxWeights[action] / total)
        case .linUCB(let alpha):
            computeScores(context: context, scale: 1)
            // The largest mean + α·spread; ties (every post before any data) uniform among the tied.
            var best = -Double.infinity, ties = 0
            for a in 0..<actions {
                let score = means[a] + alpha * spreads[a]
                if score > best {
                    best = score
                    ties = 1
                } else if score == best {
                    ties += 1
                }
            }
            var pick = ties > 1 ? rng.nextInt(below: ties) : 0, action = 0
            for a in 0..<actions where means[a] + alpha * spreads[a] == best {
                if pick == 0 {
                    action = a
                    break
                }
                pick -= 1
            }
            return (action, 1 / Double(ties))
        case .linTS(let scale):
            computeScores(context: context, scale: scale)
            // One posterior draw per post, in post order; the first maximum wins.
            var best = -Double.infinity, action = 0
            for a in 0..<actions {
                let score = means[a] + spreads[a] * rng.nextNormal()
                if score > best {
                    best = score
                    action = a
                }
            }
            return (action, linTSPropensity(context: context, action: action))
        }
    }

    /// ε-greedy's decision for a given ε.
    @inline(__always)
    private mutating func decideExploring<R: RandomSource>(
        _ epsilon: Double, context: UInt64, using rng: inout R
    ) -> (action: Int, propensity: Double) {
        let explore = rng.nextDouble() < epsilon
        let slot = choices.slot(for: context, coefficients: coefficients)
        let greedy = choices[slot]
        let action = explore ? rng.nextInt(below: actions) : greedy
        let uniform = epsilon / Double(actions)
        return (action, action == greedy ? 1 - epsilon + uniform : uniform)
    }

    /// epsdecay's ε on day t: min(1, c/t).
    public static func decayedEpsilon(_ c: Double, day: Int) -> Double { min(1, c / Double(day)) }

    /// The probability of each post under the policy for this context, given the current coefficients
    /// (and day): the distribution that `decide` samples from.
    public mutating func propensities(context: UInt64) -> [Double] {
        var result = [Double](repeating: 0, count: actions)
        if warmingUp {
            for a in 0..<actions { result[a] = 1 / Double(actions) }
            return result
        }
        switch policy {
        case .greedy:
            let slot = choices.slot(for: context, coefficients: coefficients)
            result[choices[slot]] = 1
        case .epsilonGreedy(let epsilon):
            exploring(epsilon, context: context, into: &result)
        case .epsilonDecay(let c):
            exploring(Self.decayedEpsilon(c, day: day), context: context, into: &result)
        case .thompson, .onlineBootstrap:
            let base = choices.slot(for: context, coefficients: coefficients)
            for m in 0..<members { result[choices[base + m]] += 1 }
            for a in 0..<actions { result[a] /= Double(members) }
        case .uniform:
            for a in 0..<actions { result[a] = 1 / Double(actions) }
        case .softmax(let temperature):
            let total = computeSoftmaxWeights(context: context, temperature: temperature)
            for a in 0..<actions { result[a] = softmaxWeights[a] / total }
        case .linUCB(let alpha):
            computeScores(context: context, scale: 1)
            var best = -Double.infinity
            for a in 0..<actions { best = max(best, means[a] + alpha * spreads[a]) }
            var ties = 0
            for a in 0..<actions where means[a] + alpha * spreads[a] == best { ties += 1 }
            for a in 0..<actions where means[a] + alpha * spreads[a] == best { result[a] = 1 / Double(ties) }
        case .linTS(let scale):
            computeScores(context: context, scale: scale)
            for a in 0..<actions { result[a] = linTSPropensity(context: context, action: a) }
        }
        return result
    }

    private mutating func exploring(_ epsilon: Double, context: UInt64, into result: inout [Double]) {
        for a in 0..<actions { result[a] = epsilon / Double(actions) }
        let slot = choices.slot(for: context, coefficients: coefficients)
        result[choices[slot]] += 1 - epsilon
    }

    /// Each post's prediction xᵀβ_a, in feature order (as a greedy choice adds them).
    @inline(__always)
    private func predict(context: UInt64, post a: Int) -> Double {
        let k = actions
        var sum = 0.0, bits = context
        while bits != 0 {
            sum += coefficients[bits.trailingZeroBitCount * k + a]
            bits &= bits - 1
        }
        return sum
    }

    /// Each post's prediction xᵀβ_a of the (first member's) coefficients: the reward model of the
    /// off-policy estimators, when the recommender is the notebook's least squares.
    public func predictions(context: UInt64) -> [Double] {
        (0..<actions).map { predict(context: context, post: $0) }
    }

    /// Softmax's weights exp((q_a − max q)/τ) into `softmaxWeights`; returns their sum.
    @inline(__always)
    private mutating func computeSoftmaxWeights(context: UInt64, temperature: Double) -> Double {
        var largest = -Double.infinity
        for a in 0..<actions {
            softmaxWeights[a] = predict(context: context, post: a)
            largest = max(largest, softmaxWeights[a])
        }
        var total = 0.0
        for a in 0..<actions {
            softmaxWeights[a] = Foundation.exp((softmaxWeights[a] - largest) / temperature)
            total += softmaxWeights[a]
        }
        return total
    }

    /// LinUCB's and LinTS's mean xᵀβ_a and spread scale·sqrt(xᵀA_a⁻¹x) per post, into `means` and
    /// `spreads`: whole rows of posts added at a time, the context's features in order, and for the
    /// quadratic form each pair i ≥ j once (twice the entry off the diagonal, A⁻¹ being symmetric).
    @inline(__always)
    private mutating func computeScores(context: UInt64, scale: Double) {
        Self.scores(context: context, scale: scale, features: features, actions: actions, coefficients: coefficients,
                    inverses: inverses, means: &means, spreads: &spreads)
    }

    private static func scores(
        context: UInt64, scale: Double, features d: Int, actions k: Int, coefficients: [Double], inverses: [Double],
        means: inout [Double], spreads: inout [Double]
    ) {
        precondition(context >> UInt64(d) == 0 && coefficients.count >= d * k && inverses.count == d * d * k
                     && means.count == k && spreads.count == k)
        coefficients.withUnsafeBufferPointer { c in
            inverses.withUnsafeBufferPointer { inverse in
                means.withUnsafeMutableBufferPointer { mean in
                    spreads.withUnsafeMutableBufferPointer { spread in
                        // Every row below is that of a set bit, under d (checked above).
                        for a in 0..<k {
                            mean[a] = 0
                            spread[a] = 0
                        }
                        var rows = context
                        while rows != 0 {
                            let i = rows.trailingZeroBitCount
                            rows &= rows - 1
                            let row = c.baseAddress! + i * k
                            for a in 0..<k { mean[a] += row[a] }
                            let diagonal = inverse.baseAddress! + (i * d + i) * k
                            for a in 0..<k { spread[a] += diagonal[a] }
                            var columns = context & ((1 << UInt64(i)) - 1)
                            while columns != 0 {
                                let entry = inverse.baseAddress! + (i * d + columns.trailingZeroBitCount) * k
                                columns &= columns - 1
                                for a in 0..<k { spread[a] += 2 * entry[a] }
                            }
                        }
                        for a in 0..<k { spread[a] = scale * max(0, spread[a]).squareRoot() }
                    }
                }
            }
        }
    }

    /// LinUCB's and LinTS's score of each post for a context: mean xᵀβ_a and spread scale·sqrt(xᵀA_a⁻¹x).
    mutating func linearScores(context: UInt64, scale: Double) -> (means: [Double], spreads: [Double]) {
        precondition(policy.startsFromPrior)
        computeScores(context: context, scale: scale)
        return (means, spreads)
    }

    /// LinTS's probability of choosing `action` (its scores' means and deviations in `means`,
    /// `spreads`), computed once per context and post between fits.
    private mutating func linTSPropensity(context: UInt64, action: Int) -> Double {
        let key = LinTSKey(context: context, action: action)
        if let known = linTSPropensities[key] { return known }
        let p = NormalArgmax.probability(of: action, means: means, deviations: spreads, others: &competitors)
        linTSPropensities[key] = p
        return p
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
        } else if bag != nil {
            bag!.record(ordinal: decisionsRecorded, context: context, action: action, reward: reward)
        } else {
            NormalEquations.add(context, weight: 1, weightedReward: reward, features: features,
                                gram: &gram, moment: &moment, post: action)
        }
        decisionsRecorded += 1
    }

    /// Refits on everything recorded since the reset: per-action least squares β = pinv(XᵀX)·Xᵀy,
    /// zeros for a post never shown; for Thompson sampling, once per bootstrap replicate; ridge
    /// regressions with their inverses for LinUCB and LinTS; each member's ridge regression for the
    /// online bootstrap.
    public mutating func fit<R: RandomSource>(using rng: inout R) {
        let d = features, k = actions
        switch policy {
        case .greedy, .epsilonGreedy, .epsilonDecay, .softmax, .uniform:
            Self.leastSquares(counts: counts, features: d, gram: gram, moment: moment, solver: &solver,
                              solution: &solution, into: &coefficients)
        case .linUCB, .linTS:
            fitRidge()
        case .onlineBootstrap:
            bag!.fit(ridge: ridge, counts: counts, into: &coefficients)
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
        fittedDecisions = decisionsRecorded
        choices.forget()
        linTSPropensities.removeAll(keepingCapacity: true)
    }

    /// A restored run, once the decisions its last fit used are recorded again: what that fit left
    /// besides the checkpointed coefficients (LinUCB's and LinTS's A⁻¹), computed again, bit for bit.
    public mutating func restoreFit(fittedDecisions: Int) {
        precondition(fittedDecisions == decisionsRecorded)
        self.fittedDecisions = fittedDecisions
        if policy.startsFromPrior {
            let kept = coefficients
            fitRidge()
            coefficients = kept
        }
    }

    /// LinUCB and LinTS: each post's ridge coefficients and A⁻¹; the prior (0, I/λ) for a post never shown.
    private mutating func fitRidge() {
        Self.ridge(counts: counts, features: features, ridge: ridge, gram: gram, moment: moment, solver: &ridgeSolver,
                   solution: &solution, postInverse: &postInverse, inverses: &inverses, into: &coefficients)
    }

    private static func ridge(
        counts: [Int], features d: Int, ridge: Double, gram: [Double], moment: [Double], solver: inout RidgeSolver,
        solution: inout [Double], postInverse: inout [Double], inverses: inout [Double], into coefficients: inout [Double]
    ) {
        let k = counts.count, g = gram.span, y = moment.span
        var beta = solution.mutableSpan
        for a in 0..<k {
            guard counts[a] > 0 else {
                for j in 0..<d {
                    coefficients[j * k + a] = 0
                    for i in 0..<d { inverses[(j * d + i) * k + a] = i == j ? 1 / ridge : 0 }
                }
                continue
            }
            postInverse.withUnsafeMutableBufferPointer { buffer in
                solver.solve(gram: g.extracting((a * d * d)..<((a + 1) * d * d)), moment: y.extracting((a * d)..<((a + 1) * d)),
                             ridge: ridge, beta: &beta, inverse: buffer)
            }
            for j in 0..<d {
                coefficients[j * k + a] = beta[j]
                for i in 0..<d { inverses[(j * d + i) * k + a] = postInverse[j * d + i] }
            }
        }
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

/// A context and a post: where LinTS keeps a propensity it has computed.
struct LinTSKey: Hashable, Sendable {
    var context: UInt64
    var action: Int
}

extension Policy {
    var isThompson: Bool {
        if case .thompson = self { return true }
        return false
    }

    var isOnlineBootstrap: Bool {
        if case .onlineBootstrap = self { return true }
        return false
    }

    var isSoftmax: Bool {
        if case .softmax = self { return true }
        return false
    }

    /// LinUCB and LinTS start from their ridge prior (β = 0, A⁻¹ = I/λ), not from random coefficients.
    var startsFromPrior: Bool {
        switch self {
        case .linUCB, .linTS: true
        default: false
        }
    }
}
