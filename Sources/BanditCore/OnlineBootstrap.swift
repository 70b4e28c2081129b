// Online bootstrap (ots:B): B members, each logged decision entering each member with a Poisson(1) weight.

/// The members' weighted sufficient statistics and the weights that build them.
///
/// Decision i (its ordinal in the run, from 0) enters member m with weight w(i, m) ~ Poisson(1), a
/// pure function of the run's bag key and (i, m): the (i·B + m + 1)-th output of SplitMix64 seeded
/// with the key, turned into a uniform u on [0, 1) by its top 53 bits, then into the smallest k with
/// u < P(Poisson(1) ≤ k). The key is drawn from the run's generator at its reset, so the weights
/// are drawn "when the decision is logged" and yet a resumed run rebuilds the same statistics from
/// its logged decisions. A fit is B·K ridge solves (λI + Σ w·x·xᵀ)·β = Σ w·y·x, whatever the log's length.
struct OnlineBootstrap: Sendable {
    let members: Int
    let features: Int
    let actions: Int
    let key: UInt64
    /// members × actions × d × d, then members × actions × d: member m's statistics of post a at
    /// (m·actions + a)·d·d and (m·actions + a)·d. Only XᵀX's lower triangle is kept (what the
    /// ridge solver reads).
    private var gram: [Double]
    private var moment: [Double]
    private var solver: RidgeSolver
    private var solution: [Double]

    init(members: Int, features d: Int, actions k: Int, key: UInt64) {
        self.members = members
        features = d
        actions = k
        self.key = key
        gram = [Double](repeating: 0, count: members * k * d * d)
        moment = [Double](repeating: 0, count: members * k * d)
        solver = RidgeSolver(size: d)
        solution = [Double](repeating: 0, count: d)
    }

    /// The bytes `init` allocates.
    static func bytes(members: Int, features d: Int, actions k: Int) -> Double {
        Double(members) * Double(k) * Double(d * d + d) * 8
    }

    /// Takes decision number `ordinal` into every member, with its weights.
    @inline(__always)
    mutating func record(ordinal: Int, context: UInt64, action: Int, reward: Double) {
        let b = members, k = actions, d = features
        precondition(action < k && (b - 1) * k + action < gram.count / (d * d))
        gram.withUnsafeMutableBufferPointer { gram in
            moment.withUnsafeMutableBufferPointer { moment in
                for m in 0..<b {
                    let weight = Self.weight(key: key, counter: UInt64(ordinal) &* UInt64(b) &+ UInt64(m))
                    guard weight > 0 else { continue }
                    let w = Double(weight), post = m * k + action
                    NormalEquations.addLower(context, weight: w, weightedReward: w * reward, features: d,
                                             gram: gram.baseAddress! + post * d * d, moment: moment.baseAddress! + post * d)
                }
            }
        }
    }

    /// Every member's ridge coefficients of every post shown (`counts` > 0), zeros for the others,
    /// into `coefficients` (members × d × k, the recommender's layout).
    mutating func fit(ridge: Double, counts: [Int], into coefficients: inout [Double]) {
        Self.fit(members: members, actions: actions, features: features, gram: gram, moment: moment, ridge: ridge,
                 counts: counts, solver: &solver, solution: &solution, into: &coefficients)
    }

    private static func fit(
        members b: Int, actions k: Int, features d: Int, gram: [Double], moment: [Double], ridge: Double, counts: [Int],
        solver: inout RidgeSolver, solution: inout [Double], into coefficients: inout [Double]
    ) {
        let g = gram.span, y = moment.span
        var beta = solution.mutableSpan, c = coefficients.mutableSpan
        for m in 0..<b {
            for a in 0..<k {
                if counts[a] == 0 {
                    for j in 0..<d { c[(m * d + j) * k + a] = 0 }
                    continue
                }
                let p = m * k + a
                solver.solve(gram: g.extracting((p * d * d)..<((p + 1) * d * d)), moment: y.extracting((p * d)..<((p + 1) * d)),
                             ridge: ridge, beta: &beta)
                for j in 0..<d { c[(m * d + j) * k + a] = beta[j] }
            }
        }
    }

    /// w(i, m) for counter i·B + m: Poisson(1) by inversion of a SplitMix64 uniform.
    @inline(__always)
    static func weight(key: UInt64, counter: UInt64) -> Int {
        var z = key &+ (counter &+ 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        let u = Double(z >> 11) * 0x1p-53
        // P(0) = e⁻¹ (the nearest double), then P(k) = P(k − 1)/k, summed in that order.
        var k = 0, p = 0.367_879_441_171_442_33, s = p
        while u >= s && k < 20 {
            k += 1
            p /= Double(k)
            s += p
        }
        return k
    }
}
