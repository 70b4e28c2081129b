// Least-squares operators of small sets of context patterns, computed once and kept.

#if canImport(Glibc)
import Glibc
#endif

/// For worlds of at most `maximumPatterns` context patterns: the operator Pᵀ·(P·Pᵀ)⁻¹ of every
/// linearly independent set P of at most d patterns met so far, keyed by the set's bit mask, so that
/// a bootstrap resample covering those patterns is solved by one small product with its mean rewards
/// (see `PseudoInverseSolver.solveIndependentRows`). An operator depends on the patterns alone, never
/// on data, so it stays valid for the life of the recommender.
///
/// Storage is reserved for every possible set but only touched as sets are met. A reference type
/// behind value semantics: a recommender copies it before changing it when it is shared.
final class PatternOperators: @unchecked Sendable {  // mutated only by a recommender that owns it alone
    /// Worlds with up to 4 random features: 16 patterns, so a set is a 16-bit mask.
    static let maximumPatterns = 16

    let features: Int
    /// Per mask: 0 not met yet, −1 dependent, otherwise 1 + the operator's offset in `storage`.
    private let slots: UnsafeMutablePointer<Int32>
    private let storage: UnsafeMutablePointer<Double>
    private let capacity: Int
    private var used = 0

    init(features d: Int) {
        precondition(d >= 1 && 1 << (d - 1) <= Self.maximumPatterns)
        features = d
        let patterns = 1 << (d - 1)
        // calloc: the table's pages stay untouched zeros until a set lands on them.
        slots = calloc(1 << patterns, MemoryLayout<Int32>.stride)!.bindMemory(to: Int32.self, capacity: 1 << patterns)
        // Room for a d × d operator per set of at most d patterns.
        var sets = 0, binomial = 1
        for m in 1...min(d, patterns) {
            binomial = binomial * (patterns - m + 1) / m
            sets += binomial
        }
        capacity = sets * d * d
        storage = .allocate(capacity: capacity)
    }

    deinit {
        free(slots)
        storage.deallocate()
    }

    func copy() -> PatternOperators {
        let clone = PatternOperators(features: features)
        clone.slots.update(from: slots, count: 1 << (1 << (features - 1)))
        clone.storage.update(from: storage, count: used)
        clone.used = used
        return clone
    }

    /// The operator (d × m, row-major) of the set `mask` whose m patterns, in increasing order, are
    /// `rows`; computed with `solver` when first met. Nil when the patterns are dependent.
    @inline(__always)
    func operatorFor(
        mask: Int, rows: UnsafePointer<UInt64>, count m: Int, solver: inout PseudoInverseSolver
    ) -> UnsafePointer<Double>? {
        let slot = slots[mask]
        if slot > 0 { return UnsafePointer(storage + Int(slot - 1)) }
        if slot < 0 { return nil }
        let target = storage + used
        guard solver.independentRowsOperator(rows, count: m, into: target) else {
            slots[mask] = -1
            return nil
        }
        slots[mask] = Int32(used + 1)
        used += features * m
        return UnsafePointer(target)
    }
}
