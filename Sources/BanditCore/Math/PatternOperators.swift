// Least-squares operators of small sets of context patterns, computed once and kept.

/// For worlds of at most `maximumPatterns` context patterns: the operator Pᵀ·(P·Pᵀ)⁻¹ of every
/// linearly independent set P of at most d patterns met so far, so that a bootstrap resample
/// covering those patterns is solved by one small product with its mean rewards (see
/// `PseudoInverseSolver.solveIndependentRows`). An operator depends on the patterns alone, never on
/// data, so it stays valid for the life of the recommender.
///
/// Sets are numbered by the combinatorial number system: by size, then the m patterns
/// p₁ < … < p_m of a set rank as C(p₁, 1) + … + C(p_m, m) among those of its size. The table then
/// holds exactly the sets that can occur (6,884 for 16 patterns and d = 5). A value over arrays:
/// copies share them until one of them learns a new set.
struct PatternOperators: Sendable {
    /// Sets of up to d of 16 patterns (4 random features) number 6,884: 27 KB of slots and 1.4 MB
    /// reserved for operators. At 32 patterns they would number 1.1 million: 4.5 MB and 330 MB.
    static let maximumPatterns = 16

    let features: Int
    /// C(p, r) at `p * (features + 1) + r`, for p < patterns and r ≤ features.
    private let binomials: [Int]
    /// Where the sets of each size m start in `slots` (sets of fewer patterns come first).
    private let firstOfSize: [Int]
    /// Per set: 0 not met yet, −1 dependent, otherwise 1 + the operator's offset in `storage`.
    private var slots: [Int32]
    /// The operators of the sets met so far, one after another, each d × m (row-major) for m patterns.
    private var storage: [Double] = []
    /// A new set's operator, before it joins `storage`.
    private var fresh: [Double]

    init(features d: Int) {
        let patterns = 1 << (d - 1)
        precondition(d >= 1 && patterns <= Self.maximumPatterns)
        features = d
        var binomials = [Int](repeating: 0, count: patterns * (d + 1))
        for p in 0..<patterns {
            binomials[p * (d + 1)] = 1
            for r in 1...d where r <= p {
                binomials[p * (d + 1) + r] = binomials[(p - 1) * (d + 1) + r - 1] + (r < p ? binomials[(p - 1) * (d + 1) + r] : 0)
            }
        }
        self.binomials = binomials
        // Sets of m patterns number C(patterns, m), the sum over p < patterns of C(p, m − 1).
        var firstOfSize = [Int](repeating: 0, count: d + 2)
        for m in 1...d {
            var sets = 0
            for p in 0..<patterns where m - 1 <= p { sets += binomials[p * (d + 1) + m - 1] }
            firstOfSize[m + 1] = firstOfSize[m] + sets
        }
        self.firstOfSize = firstOfSize
        slots = [Int32](repeating: 0, count: firstOfSize[d + 1])
        // The operators' room, reserved once but only touched as sets are met.
        storage.reserveCapacity(firstOfSize[d + 1] * d * d)
        fresh = [Double](repeating: 0, count: d * d)
    }

    /// β = Pᵀ·(P·Pᵀ)⁻¹·ȳ into `solution` (d entries) for the m ≤ d patterns `rows` (as contexts, in
    /// increasing order) and their mean rewards, the set's operator computed by `solver` when first
    /// met. False, with nothing written, when the patterns are dependent.
    @inline(__always)
    mutating func solve(
        rows: Span<UInt64>, means: Span<Double>, solver: inout PseudoInverseSolver, into solution: inout MutableSpan<Double>
    ) -> Bool {
        let d = features, m = rows.count
        precondition(m >= 1 && m <= d && means.count == m && solution.count == d)
        var set = firstOfSize[m]
        for i in 0..<m { set += binomials[Int(rows[i] >> 1) * (d + 1) + i + 1] }
        if slots[set] == 0 { learn(set, rows: rows, solver: &solver) }
        let slot = Int(slots[set])
        guard slot > 0 else { return false }
        let op = storage.span.extracting((slot - 1)..<(slot - 1 + d * m))
        // The product β = op·ȳ; its indices are within the d × m, m and d checked above.
        for j in 0..<d {
            var sum = 0.0
            for i in 0..<m { sum += op[unchecked: j &* m &+ i] * means[unchecked: i] }
            solution[unchecked: j] = sum
        }
        return true
    }

    /// Computes and keeps the operator of a set met for the first time, or marks the set dependent.
    private mutating func learn(_ set: Int, rows: Span<UInt64>, solver: inout PseudoInverseSolver) {
        let size = features * rows.count
        var op = fresh.mutableSpan
        guard solver.independentRowsOperator(rows, into: &op) else {
            slots[set] = -1
            return
        }
        slots[set] = Int32(storage.count + 1)
        storage.append(contentsOf: fresh[0..<size])
    }
}
