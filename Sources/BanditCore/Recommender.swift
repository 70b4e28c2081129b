// The learner: its coefficients, what it has seen, how it decides and how it refits.

/// A recommender with the notebook's decision rules, initial random coefficients and refits.
///
/// Greedy and ε-greedy keep per-action sufficient statistics (XᵀX, Xᵀy) updated as decisions are
/// recorded, so a fit costs O(K·d³) however many decisions were logged. Thompson sampling keeps each
/// action's samples, since every fit draws B bootstrap resamples of them.
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

    private var gram: [Double]
    private var moment: [Double]
    /// Thompson sampling's log, in decision order.
    private var logContexts: [UInt64] = []
    private var logActions: [Int32] = []
    private var logRewards: [Double] = []

    private var solver: PseudoInverseSolver
    /// One slot per context pattern when they are few; otherwise 1024 slots hashed by context.
    private var choicesByPattern = true
    private var choiceTags: [UInt64]
    private var choiceTable: [Int32]
    private var predictions: [Double]
    private var resampleCounts: [Int32]
    /// One resample's draws, when the generator makes them faster in bulk.
    private var resampleDraws: [Int32] = []
    private var groupedContexts: [UInt64] = []
    private var groupedRewards: [Double] = []
    private var ensembleScratch: [Double] = []
    private var presentPatterns: [UInt64] = []
    private var patternOperators: PatternOperators?

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
        choiceTags = []
        choiceTable = []
        predictions = [Double](repeating: 0, count: k)
        resampleCounts = []
        resizeChoiceCache()
    }

    // MARK: Deciding

    /// The policy's decision for a context, with the exact probability that the policy chose it.
    @inline(__always)
    public mutating func decide<R: RandomSource>(context: UInt64, using rng: inout R) -> (action: Int, propensity: Double) {
        switch policy {
        case .greedy:
            return (Int(choiceTable[choiceSlot(for: context)]), 1)
        case .epsilonGreedy(let epsilon):
            let explore = rng.nextDouble() < epsilon
            let greedy = Int(choiceTable[choiceSlot(for: context)])
            let action = explore ? rng.nextInt(below: actions) : greedy
            let uniform = epsilon / Double(actions)
            return (action, action == greedy ? 1 - epsilon + uniform : uniform)
        case .thompson:
            let member = rng.nextInt(below: members)
            let base = choiceSlot(for: context)
            let action = choiceTable[base + member]
            var agreeing = 0
            for m in 0..<members where choiceTable[base + m] == action { agreeing += 1 }
            return (Int(action), Double(agreeing) / Double(members))
        }
    }

    /// The probability of each post under the policy for this context, given the current coefficients:
    /// the distribution that `decide` samples from.
    public mutating func propensities(context: UInt64) -> [Double] {
        var result = [Double](repeating: 0, count: actions)
        let base = choiceSlot(for: context)
        switch policy {
        case .greedy:
            result[Int(choiceTable[base])] = 1
        case .epsilonGreedy(let epsilon):
            for a in 0..<actions { result[a] = epsilon / Double(actions) }
            result[Int(choiceTable[base])] += 1 - epsilon
        case .thompson:
            for m in 0..<members { result[Int(choiceTable[base + m])] += 1 }
            for a in 0..<actions { result[a] /= Double(members) }
        }
        return result
    }

    /// Every member's greedy choice for this context, as an index into `choiceTable`.
    ///
    /// Choices only change at a fit, and with few features contexts repeat within a day, so they are
    /// kept in a direct-mapped table keyed by the context and cleared at each fit.
    @inline(__always)
    private mutating func choiceSlot(for context: UInt64) -> Int {
        let slot = choicesByPattern
            ? Int(context >> 1) : Int(truncatingIfNeeded: (context &* 0x9e37_79b9_7f4a_7c15) >> 54)
        let base = slot * members
        if choiceTags[slot] != context {
            choiceTags[slot] = context
            for m in 0..<members { choiceTable[base + m] = Int32(greedyChoice(member: m, context: context)) }
        }
        return base
    }

    /// The first post with the highest predicted viewing time under member m's coefficients.
    private mutating func greedyChoice(member m: Int, context: UInt64) -> Int {
        let d = features, k = actions
        return coefficients.withUnsafeBufferPointer { c in
            predictions.withUnsafeMutableBufferPointer { buffer in
                // Each post's prediction adds the context's rows in feature order, as numpy's dot
                // product does; pointers without overflow checks let the additions run in vectors.
                let p = buffer.baseAddress!, member = c.baseAddress! + m * d * k
                for a in 0..<k { p[a] = 0 }
                var bits = context
                while bits != 0 {
                    let row = member + bits.trailingZeroBitCount &* k
                    for a in 0..<k { p[a] += row[a] }
                    bits &= bits - 1
                }
                var best = 0, bestValue = -Double.infinity
                for a in 0..<k where p[a] > bestValue {
                    best = a
                    bestValue = p[a]
                }
                return best
            }
        }
    }

    private mutating func resizeChoiceCache() {
        let patterns = features - 1 <= 12 ? 1 << (features - 1) : Int.max
        choicesByPattern = patterns <= 4096 && patterns * members <= 1 << 18
        let slots = choicesByPattern ? patterns : 1024
        choiceTags = [UInt64](repeating: 0, count: slots)
        choiceTable = [Int32](repeating: 0, count: slots * members)
    }

    private mutating func forgetChoices() {
        for i in choiceTags.indices { choiceTags[i] = 0 }
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
            let d = features
            gram.withUnsafeMutableBufferPointer { g in
                moment.withUnsafeMutableBufferPointer { y in
                    Self.accumulate(context: context, weight: 1, weightedReward: reward, features: d,
                                    gram: g.baseAddress! + action * d * d, moment: y.baseAddress! + action * d)
                }
            }
        }
    }

    /// Refits on everything recorded since the reset: per-action least squares β = pinv(XᵀX)·Xᵀy,
    /// zeros for a post never shown; for Thompson sampling, once per bootstrap replicate.
    public mutating func fit<R: RandomSource>(using rng: inout R) {
        let d = features, k = actions
        switch policy {
        case .greedy, .epsilonGreedy:
            for a in 0..<k { solveFromStatistics(action: a) }
        case .thompson(let replicates):
            if members != replicates {
                members = replicates
                coefficients = [Double](repeating: 0, count: members * d * k)
                resizeChoiceCache()
            }
            fitEnsemble(using: &rng)
        }
        fits += 1
        forgetChoices()
    }

    /// With few features, contexts repeat: a resample's XᵀX and Xᵀy only need, per context pattern,
    /// how many draws fell on it and the sum of their rewards, so each draw costs two additions.
    static let patternFeatures = 10

    /// Every member's coefficients from its own bootstrap resample of each post's decisions: for
    /// member m, then post a (the notebook's order of draws), `randint(0, n, size=n)` over the post's n
    /// decisions in logged order, then least squares on the resample (`solveResample`).
    private mutating func fitEnsemble<R: RandomSource>(using rng: inout R) {
        let d = features, k = actions
        let start = groupLogByPost()
        let patterns = d - 1 <= Self.patternFeatures ? 1 << (d - 1) : 0
        let largest = max(counts.max() ?? 0, 1)
        let scratchSize = ResampleBuffers.scratchSize(features: d, patterns: patterns)
        if ensembleScratch.count < scratchSize { ensembleScratch = [Double](repeating: 0, count: scratchSize) }
        if presentPatterns.count < d { presentPatterns = [UInt64](repeating: 0, count: d) }
        if resampleDraws.count < largest { resampleDraws = [Int32](repeating: 0, count: max(largest, 2 * resampleDraws.count)) }
        if patterns == 0 && resampleCounts.count < largest {
            resampleCounts = [Int32](repeating: 0, count: max(largest, 2 * resampleCounts.count))
        }
        if patterns > 0 && patterns <= PatternOperators.maximumPatterns {
            if patternOperators == nil {
                patternOperators = PatternOperators(features: d)
            } else if !isKnownUniquelyReferenced(&patternOperators!) {
                patternOperators = patternOperators!.copy()
            }
        }
        let operators = patternOperators
        // One scope for every buffer: the loop below runs B·K times per fit.
        coefficients.withUnsafeMutableBufferPointer { c in
          groupedContexts.withUnsafeBufferPointer { x in
            groupedRewards.withUnsafeBufferPointer { y in
              ensembleScratch.withUnsafeMutableBufferPointer { scratch in
                presentPatterns.withUnsafeMutableBufferPointer { present in
                  resampleCounts.withUnsafeMutableBufferPointer { times in
                    resampleDraws.withUnsafeMutableBufferPointer { draws in
                        let buffers = ResampleBuffers(features: d, patterns: patterns, scratch: scratch.baseAddress!,
                                                      present: present.baseAddress!, times: times.baseAddress,
                                                      draws: draws.baseAddress!)
                        for m in 0..<members {
                            for a in 0..<k {
                                Self.solveResample(x: x.baseAddress! + start[a], y: y.baseAddress! + start[a], count: counts[a],
                                                   into: c.baseAddress! + m * d * k + a, stride: k,
                                                   buffers, operators, solver: &solver, rng: &rng)
                            }
                        }
                    }
                  }
                }
              }
            }
          }
        }
    }

    /// Groups the log by post, in logged order within each group (bootstrap index i is the post's
    /// i-th decision), into `groupedContexts` and `groupedRewards`; returns where each post starts.
    private mutating func groupLogByPost() -> [Int] {
        let k = actions, total = logActions.count
        var start = [Int](repeating: 0, count: k + 1)
        for a in 0..<k { start[a + 1] = start[a] + counts[a] }
        var fill = start
        if groupedContexts.count < total {
            groupedContexts = [UInt64](repeating: 0, count: max(total, 2 * groupedContexts.count))
            groupedRewards = [Double](repeating: 0, count: groupedContexts.count)
        }
        for i in 0..<total {
            let a = Int(logActions[i])
            groupedContexts[fill[a]] = logContexts[i]
            groupedRewards[fill[a]] = logRewards[i]
            fill[a] += 1
        }
        return start
    }

    /// One member's coefficients for one post: `randint(0, n, size=n)` over its n logged decisions
    /// (contexts `x`, rewards `y`), then least squares on that resample, written at `target` with
    /// stride k (zeros for a post never shown).
    ///
    /// With few features the draws are tallied by context pattern, each draw costing two additions.
    /// When the resample covers at most d linearly independent patterns (few draws: the usual case for
    /// a post rarely shown), the solution is the patterns' operator Pᵀ(PPᵀ)⁻¹ applied to their mean
    /// rewards, and the rank-deficient XᵀX, which would need the solver's slow path, is never formed.
    @inline(__always)
    private static func solveResample<R: RandomSource>(
        x: UnsafePointer<UInt64>, y: UnsafePointer<Double>, count n: Int,
        into target: UnsafeMutablePointer<Double>, stride k: Int,
        _ b: ResampleBuffers, _ operators: PatternOperators?,
        solver: inout PseudoInverseSolver, rng: inout R
    ) {
        let d = b.features
        guard n > 0 else {
            for j in 0..<d { target[j * k] = 0 }
            return
        }
        for i in 0..<(d * d) { b.gram[i] = 0 }
        for i in 0..<d { b.moment[i] = 0 }
        guard b.patterns > 0 else {
            // Many features: count how often each decision was drawn.
            let times = b.times!
            for i in 0..<n { times[i] = 0 }
            rng.fillInts(below: n, count: n, into: b.draws)
            for t in 0..<n { times[Int(b.draws[t])] += 1 }
            for i in 0..<n where times[i] != 0 {
                let weight = Double(times[i])
                accumulate(context: x[i], weight: weight, weightedReward: weight * y[i], features: d,
                           gram: b.gram, moment: b.moment)
            }
            solver.solve(b.gram, b.moment, into: target, stride: k)
            return
        }
        let weights = b.weights, rewards = b.rewards
        for p in 0..<b.patterns {
            weights[p] = 0
            rewards[p] = 0
        }
        if R.drawsFasterInBulk {
            rng.fillInts(below: n, count: n, into: b.draws)
            for t in 0..<n {
                let i = Int(b.draws[t])
                let p = Int(x[i] >> 1)
                weights[p] += 1
                rewards[p] += y[i]
            }
        } else {
            for _ in 0..<n {
                let i = rng.nextInt(below: n)
                let p = Int(x[i] >> 1)
                weights[p] += 1
                rewards[p] += y[i]
            }
        }
        // The distinct patterns drawn (the first d of them, with their mean rewards) and their set.
        var distinct = 0, mask = 0
        for p in 0..<b.patterns where weights[p] != 0 {
            if distinct < d {
                b.present[distinct] = UInt64(p) << 1 | 1
                b.means[distinct] = rewards[p] / weights[p]
            }
            distinct += 1
            mask |= 1 << p
        }
        if distinct <= d {
            if let operators {
                if let op = operators.operatorFor(mask: mask, rows: b.present, count: distinct, solver: &solver) {
                    for j in 0..<d {
                        var sum = 0.0
                        for i in 0..<distinct { sum += op[j * distinct + i] * b.means[i] }
                        target[j * k] = sum
                    }
                    return
                }
            } else if solver.solveIndependentRows(b.present, means: b.means, count: distinct, into: target, stride: k) {
                return
            }
        }
        for p in 0..<b.patterns where weights[p] != 0 {
            accumulate(context: UInt64(p) << 1 | 1, weight: weights[p], weightedReward: rewards[p], features: d,
                       gram: b.gram, moment: b.moment)
        }
        solver.solve(b.gram, b.moment, into: target, stride: k)
    }

    /// Greedy and ε-greedy: the post's coefficients from its running XᵀX and Xᵀy.
    private mutating func solveFromStatistics(action a: Int) {
        let d = features, k = actions
        coefficients.withUnsafeMutableBufferPointer { c in
            let target = c.baseAddress! + a
            guard counts[a] > 0 else {
                for j in 0..<d { target[j * k] = 0 }
                return
            }
            gram.withUnsafeBufferPointer { g in
                moment.withUnsafeBufferPointer { y in
                    solver.solve(g.baseAddress! + a * d * d, y.baseAddress! + a * d, into: target, stride: k)
                }
            }
        }
    }

    /// Adds weight·x·xᵀ to a d×d matrix and the weighted reward·x to a vector, for a binary x.
    @inline(__always)
    private static func accumulate(
        context: UInt64, weight: Double, weightedReward: Double, features d: Int,
        gram: UnsafeMutablePointer<Double>, moment: UnsafeMutablePointer<Double>
    ) {
        var outer = context
        while outer != 0 {
            let j = outer.trailingZeroBitCount
            outer &= outer - 1
            moment[j] += weightedReward
            gram[j * d + j] += weight
            var inner = outer
            while inner != 0 {
                let i = inner.trailingZeroBitCount
                inner &= inner - 1
                gram[j * d + i] += weight
                gram[i * d + j] += weight
            }
        }
    }
}

/// Raw views of an ensemble fit's scratch buffers, valid inside `fitEnsemble`'s scope.
private struct ResampleBuffers {
    let features: Int
    /// Context patterns tallied separately (0 when there are too many features to tally by pattern).
    let patterns: Int
    /// Per pattern: draws that fell on it, and the sum of their rewards.
    let weights: UnsafeMutablePointer<Double>
    let rewards: UnsafeMutablePointer<Double>
    /// The first d distinct patterns of a resample and their mean rewards.
    let present: UnsafeMutablePointer<UInt64>
    let means: UnsafeMutablePointer<Double>
    /// XᵀX and Xᵀy of a resample.
    let gram: UnsafeMutablePointer<Double>
    let moment: UnsafeMutablePointer<Double>
    /// Per decision, how often it was drawn (only without pattern tallies).
    let times: UnsafeMutablePointer<Int32>?
    /// One resample's draws, when the generator makes them in bulk.
    let draws: UnsafeMutablePointer<Int32>

    static func scratchSize(features d: Int, patterns: Int) -> Int { 2 * patterns + d + d * d + d }

    init(features d: Int, patterns: Int, scratch: UnsafeMutablePointer<Double>, present: UnsafeMutablePointer<UInt64>,
         times: UnsafeMutablePointer<Int32>?, draws: UnsafeMutablePointer<Int32>) {
        features = d
        self.patterns = patterns
        weights = scratch
        rewards = scratch + patterns
        means = scratch + 2 * patterns
        gram = means + d
        moment = gram + d * d
        self.present = present
        self.times = times
        self.draws = draws
    }
}

extension Policy {
    var isThompson: Bool {
        if case .thompson = self { return true }
        return false
    }
}
