// Thompson sampling's refit: each member's bootstrap resample of each post, solved by least squares.

/// One logged decision of a post, as a resample draws it.
struct PostSample: Sendable {
    var context: UInt64
    var reward: Double
}

/// Thompson sampling's log grouped by post: post a's decisions, in logged order, are at
/// `decisions(of: a)` (so bootstrap index i is the post's i-th decision). Every context has only bits
/// below `features` (checked as it is grouped), so its pattern indexes a table of 2^(features−1).
struct PostLog: Sendable {
    private(set) var features = 1
    private(set) var samples: [PostSample] = []
    private var start: [Int] = [0]

    /// The log regrouped; `counts` are the decisions per post. Capacity is kept from fit to fit.
    mutating func group(contexts: [UInt64], actions: [Int32], rewards: [Double], counts: [Int], features d: Int) {
        let k = counts.count, total = actions.count
        features = d
        start = [Int](repeating: 0, count: k + 1)
        for a in 0..<k { start[a + 1] = start[a] + counts[a] }
        var fill = start
        if samples.count < total {
            samples = [PostSample](repeating: PostSample(context: 0, reward: 0), count: max(total, 2 * samples.count))
        }
        for i in 0..<total {
            let a = Int(actions[i])
            precondition(contexts[i] >> UInt64(d) == 0, "a context has one bit per feature")
            samples[fill[a]] = PostSample(context: contexts[i], reward: rewards[i])
            fill[a] += 1
        }
    }

    func decisions(of post: Int) -> Range<Int> { start[post]..<start[post + 1] }

    var largestPost: Int {
        var largest = 0
        for a in 0..<(start.count - 1) { largest = max(largest, start[a + 1] - start[a]) }
        return largest
    }
}

/// A context pattern's share of one resample: how many draws fell on it, and their rewards' sum.
struct PatternTally: Sendable {
    var draws = 0.0
    var rewardSum = 0.0
}

/// Thompson sampling's fit, and the scratch it writes besides the coefficients: sized once, reused
/// by every resample of every fit, owned by one recommender (a copy shares it until either fits).
///
/// For member m, then post a (the notebook's order of draws): `randint(0, n, size=n)` over the
/// post's n decisions in logged order, then least squares on the resample, β = pinv(XᵀX)·Xᵀy, zeros
/// for a post never shown. Three ways to the same β, by how the draws are tallied:
/// - few features: per context pattern, so each draw costs two additions; when the resample covers
///   at most d independent patterns (few draws, the usual case for a post rarely shown), β comes from
///   the patterns alone, and the rank-deficient XᵀX, which would need the solver's slow path, is never formed;
/// - otherwise XᵀX and Xᵀy from the pattern tallies;
/// - many features: per decision, each drawn decision's row weighted by how often it was drawn.
struct EnsembleFit: Sendable {
    /// Up to 10 random features the per-pattern tallies (1,024 × 16 bytes) stay in a core's L1 cache,
    /// where each draw adds to a random one, and the scan of them per resample stays short.
    static let tallyFeatures = 10
    /// The distinct patterns a resample is solved from: at most d ≤ `tallyFeatures` + 1 of them.
    typealias DistinctRows = InlineArray<11, UInt64>
    typealias DistinctMeans = InlineArray<11, Double>

    let features: Int
    /// Context patterns the draws are tallied by: 2^(d−1), or 0 beyond `tallyFeatures`.
    let patterns: Int

    /// Per pattern: its share of the current resample.
    private var tallies: [PatternTally]
    /// The current resample's draws: indices into the post's decisions.
    private var draws: [Int32] = []
    /// Many features: per decision of the post, how often the current resample drew it.
    private var timesDrawn: [Int32] = []
    /// The resample's XᵀX (d × d) and Xᵀy.
    private var gram: [Double]
    private var moment: [Double]
    /// The resample's least-squares coefficients.
    private var solution: [Double]
    private var solver: PseudoInverseSolver
    /// With at most `PatternOperators.maximumPatterns` patterns: the independent sets' operators.
    private var operators: PatternOperators?

    init(features d: Int) {
        precondition(Self.tallyFeatures + 1 <= DistinctRows.count)
        features = d
        patterns = d - 1 <= Self.tallyFeatures ? 1 << (d - 1) : 0
        tallies = [PatternTally](repeating: PatternTally(), count: patterns)
        gram = [Double](repeating: 0, count: d * d)
        moment = [Double](repeating: 0, count: d)
        solution = [Double](repeating: 0, count: d)
        solver = PseudoInverseSolver(size: d)
        operators = patterns > 0 && patterns <= PatternOperators.maximumPatterns ? PatternOperators(features: d) : nil
    }

    /// Every member's coefficients for every post, into `coefficients` (members × d × k, the
    /// layout of `Recommender.coefficients`).
    mutating func fit<R: RandomSource>(
        _ log: PostLog, members: Int, actions k: Int, into coefficients: inout [Double], using rng: inout R
    ) {
        // Room for a resample of the largest post; buffers grow by doubling, so rarely.
        let largest = log.largestPost
        if draws.count < largest { draws = [Int32](repeating: 0, count: max(largest, 2 * draws.count)) }
        if patterns == 0 && timesDrawn.count < largest {
            timesDrawn = [Int32](repeating: 0, count: max(largest, 2 * timesDrawn.count))
        }
        Self.fit(log, members: members, actions: k, features: features, patterns: patterns,
                 tallies: &tallies, draws: &draws, timesDrawn: &timesDrawn, gram: &gram, moment: &moment,
                 solution: &solution, solver: &solver, operators: &operators, into: &coefficients, using: &rng)
    }

    /// `fit` over its buffers, each taken as a span once per fit rather than once per resample: spans
    /// of two stored properties of one value cannot be alive together, spans of two arguments can.
    private static func fit<R: RandomSource>(
        _ log: PostLog, members: Int, actions k: Int, features d: Int, patterns: Int,
        tallies: inout [PatternTally], draws: inout [Int32], timesDrawn: inout [Int32],
        gram: inout [Double], moment: inout [Double], solution: inout [Double],
        solver: inout PseudoInverseSolver, operators: inout PatternOperators?,
        into coefficients: inout [Double], using rng: inout R
    ) {
        // Every logged context's pattern then indexes the tallies unchecked (see `add`).
        precondition(log.features == d && tallies.count == patterns && (patterns == 0 || patterns == 1 << (d - 1)))
        var tally = tallies.mutableSpan, drawn = draws.mutableSpan, times = timesDrawn.mutableSpan
        var g = gram.mutableSpan, y = moment.mutableSpan, beta = solution.mutableSpan
        var coefficients = coefficients.mutableSpan
        var rows = DistinctRows(repeating: 0), means = DistinctMeans(repeating: 0)
        for m in 0..<members {
            for a in 0..<k {
                let post = log.decisions(of: a)
                let samples = log.samples.span.extracting(post)
                if post.isEmpty {
                    for j in 0..<d { coefficients[(m * d + j) * k + a] = 0 }
                    continue
                }
                if patterns == 0 {
                    // Many features: each drawn decision's row, weighted by the times it was drawn.
                    countTimesDrawn(post.count, draws: &drawn, into: &times, using: &rng)
                    normalEquations(samples, timesDrawn: times.span, features: d, gram: &g, moment: &y)
                    solver.solve(g.span, y.span, into: &beta)
                } else {
                    // Few features: the draws tallied per pattern; from the patterns alone when they
                    // are at most d and independent, else from XᵀX and Xᵀy of the tallies.
                    tallyByPattern(samples, draws: &drawn, into: &tally, using: &rng)
                    let distinct = distinctPatterns(tally.span, features: d, rows: &rows, means: &means)
                    let solved = distinct <= d && solveFromPatterns(
                        rows.span.extracting(0..<distinct), means.span.extracting(0..<distinct),
                        operators: &operators, solver: &solver, into: &beta)
                    if !solved {
                        normalEquations(tally.span, features: d, gram: &g, moment: &y)
                        solver.solve(g.span, y.span, into: &beta)
                    }
                }
                // Member m's coefficient of feature j for post a, at (m·d + j)·k + a.
                for j in 0..<d { coefficients[(m * d + j) * k + a] = beta[j] }
            }
        }
    }

    // MARK: Steps

    /// Draws a resample, `randint(0, n, size=n)`, into `draws`.
    @inline(__always)
    private static func drawResample<R: RandomSource>(_ n: Int, into draws: inout MutableSpan<Int32>, using rng: inout R) {
        precondition(n <= draws.count)
        draws.withUnsafeMutableBufferPointer { rng.fillInts(below: n, count: n, into: $0.baseAddress!) }
    }

    /// Draws a resample of n decisions and counts how often each was drawn.
    @inline(__always)
    private static func countTimesDrawn<R: RandomSource>(
        _ n: Int, draws: inout MutableSpan<Int32>, into times: inout MutableSpan<Int32>, using rng: inout R
    ) {
        drawResample(n, into: &draws, using: &rng)
        for i in 0..<n { times[i] = 0 }
        for t in 0..<n { times[Int(draws[t])] += 1 }
    }

    /// Draws a resample and tallies it by context pattern. The draws come one by one unless the
    /// generator makes them faster in bulk: the same values in the same order either way.
    @inline(__always)
    private static func tallyByPattern<R: RandomSource>(
        _ samples: Span<PostSample>, draws: inout MutableSpan<Int32>, into tally: inout MutableSpan<PatternTally>,
        using rng: inout R
    ) {
        let n = samples.count
        for p in tally.indices { tally[p] = PatternTally() }
        if R.drawsFasterInBulk {
            drawResample(n, into: &draws, using: &rng)
            for t in 0..<n {
                let sample = samples[Int(draws[t])]
                add(sample, to: &tally)
            }
        } else {
            // A local generator stays in registers: the tally's stores might alias an inout one.
            var generator = rng
            defer { rng = generator }
            for _ in 0..<n {
                let sample = samples[generator.nextInt(below: n)]
                add(sample, to: &tally)
            }
        }
    }

    /// One draw into its pattern's tally. The pattern is below 2^(d−1), the tally's size: a PostLog's
    /// contexts have d bits (checked once per fit, as the log is grouped, not at each of B·n draws).
    @inline(__always)
    private static func add(_ sample: PostSample, to tally: inout MutableSpan<PatternTally>) {
        let p = Int(sample.context >> 1)
        tally[unchecked: p].draws += 1
        tally[unchecked: p].rewardSum += sample.reward
    }

    /// The patterns the resample drew, in increasing order: the first d as contexts, with their mean
    /// rewards, into `rows` and `means`. Returns how many there are, counting no further than d + 1.
    @inline(__always)
    private static func distinctPatterns(
        _ tally: Span<PatternTally>, features d: Int, rows: inout DistinctRows, means: inout DistinctMeans
    ) -> Int {
        var rows = rows.mutableSpan, means = means.mutableSpan
        var distinct = 0
        for p in tally.indices where tally[p].draws != 0 {
            if distinct == d { return d + 1 }
            rows[distinct] = UInt64(p) << 1 | 1
            means[distinct] = tally[p].rewardSum / tally[p].draws
            distinct += 1
        }
        return distinct
    }

    /// β from the resample's m ≤ d distinct patterns alone when they are linearly independent,
    /// Pᵀ·(P·Pᵀ)⁻¹·ȳ whatever their multiplicities: by the kept operator of the set when there are
    /// operators, else by factoring P·Pᵀ. False, with nothing written, when they may be dependent.
    @inline(__always)
    private static func solveFromPatterns(
        _ rows: Span<UInt64>, _ means: Span<Double>, operators: inout PatternOperators?,
        solver: inout PseudoInverseSolver, into beta: inout MutableSpan<Double>
    ) -> Bool {
        if operators != nil { return operators!.solve(rows: rows, means: means, solver: &solver, into: &beta) }
        return solver.solveIndependentRows(rows, means: means, into: &beta)
    }

    /// XᵀX and Xᵀy of the resample from its pattern tallies: each pattern's row weighted by its draws.
    @inline(__always)
    private static func normalEquations(
        _ tally: Span<PatternTally>, features d: Int, gram: inout MutableSpan<Double>, moment: inout MutableSpan<Double>
    ) {
        gram.update(repeating: 0)
        moment.update(repeating: 0)
        for p in tally.indices where tally[p].draws != 0 {
            NormalEquations.add(UInt64(p) << 1 | 1, weight: tally[p].draws, weightedReward: tally[p].rewardSum,
                                features: d, gram: &gram, moment: &moment)
        }
    }

    /// XᵀX and Xᵀy of the resample from the times each decision was drawn: its row weighted by them.
    @inline(__always)
    private static func normalEquations(
        _ samples: Span<PostSample>, timesDrawn times: Span<Int32>, features d: Int,
        gram: inout MutableSpan<Double>, moment: inout MutableSpan<Double>
    ) {
        gram.update(repeating: 0)
        moment.update(repeating: 0)
        for i in samples.indices where times[i] != 0 {
            let weight = Double(times[i])
            NormalEquations.add(samples[i].context, weight: weight, weightedReward: weight * samples[i].reward, features: d,
                                gram: &gram, moment: &moment)
        }
    }
}
