// Every member's greedy choice for the contexts met since the last fit, so that a decision is a lookup.

/// Each member's greedy choice, the first post with the highest predicted viewing time, per context.
///
/// Choices only change at a fit, and contexts repeat within a day, so they are kept until the next
/// fit. With few context patterns each pattern has its own slot; otherwise the table is direct-mapped:
/// `1 << hashBits` slots keyed by a multiplicative hash of the context, each tagged with the context
/// it holds (a context always has bit 0 set, so the empty tag 0 never matches one).
struct ChoiceCache: Sendable {
    /// A table per pattern is allocated whole, so it is used while it stays small: at most 4,096
    /// patterns (12 random features, 32 KB of tags) and 2¹⁸ choices (1 MB of Int32).
    static let maximumPatterns = 4096
    static let maximumChoices = 1 << 18
    /// Slots of the hashed table, by the top bits of Fibonacci hashing: 1,024 slots are 8 KB of tags
    /// and 4 KB of choices per member (120 KB for 30), small enough to stay in a core's L2 cache.
    static let hashBits = 10

    let features: Int
    let actions: Int
    private(set) var members: Int
    /// True when slots are indexed by pattern, false when hashed.
    private(set) var byPattern = true
    /// Per slot, the context whose choices it holds (0: none).
    private var tags: [UInt64] = []
    /// Per slot, every member's choice: slot × members.
    private var table: [Int32] = []

    init(features: Int, actions: Int, members: Int) {
        self.features = features
        self.actions = actions
        self.members = members
        resize(members: members)
    }

    /// An empty table for a new number of members.
    mutating func resize(members: Int) {
        self.members = members
        let patterns = features - 1 <= Self.maximumPatterns.trailingZeroBitCount ? 1 << (features - 1) : Int.max
        byPattern = patterns <= Self.maximumPatterns && patterns * members <= Self.maximumChoices
        let slots = byPattern ? patterns : 1 << Self.hashBits
        tags = [UInt64](repeating: 0, count: slots)
        table = [Int32](repeating: 0, count: slots * members)
    }

    /// A member's choice: `self[slot(for: context, …) + m]` is member m's post for that context.
    @inline(__always)
    subscript(index: Int) -> Int { Int(table[index]) }

    /// Forgets every choice: the coefficients have changed.
    mutating func forget() {
        var tags = tags.mutableSpan
        tags.update(repeating: 0)
    }

    /// Where this context's choices start (one per member), computed on a miss from the
    /// coefficients (members × features × actions, see `Recommender.coefficients`).
    @inline(__always)
    mutating func slot(for context: UInt64, coefficients: [Double]) -> Int {
        let slot = byPattern
            ? Int(context >> 1) : Int(truncatingIfNeeded: (context &* 0x9e37_79b9_7f4a_7c15) >> (64 - Self.hashBits))
        let base = slot * members
        if tags[slot] != context {
            tags[slot] = context
            Self.choose(for: context, coefficients: coefficients, features: features, actions: actions, members: members,
                        into: &table, at: base)
        }
        return base
    }

    /// Every member's greedy choice for a context, into `choices[base..<base + members]`.
    ///
    /// Each post's prediction adds the context's rows in feature order, as numpy's dot product does,
    /// eight posts at a time in registers (each lane's sum is the same additions in the same order),
    /// and the first maximum is kept as the blocks go by.
    private static func choose(
        for context: UInt64, coefficients: [Double], features d: Int, actions k: Int, members: Int,
        into choices: inout [Int32], at base: Int
    ) {
        precondition(coefficients.count >= members * d * k && choices.count >= base + members && context >> UInt64(d) == 0)
        // The context's rows, as offsets into a member's d × k block.
        var rows = InlineArray<64, Int>(repeating: 0), count = 0
        var bits = context
        while bits != 0 {
            rows[count] = bits.trailingZeroBitCount * k
            count += 1
            bits &= bits - 1
        }
        coefficients.withUnsafeBufferPointer { c in
            for m in 0..<members {
                // Every offset below is under members·d·k (checked above).
                let member = c.baseAddress! + m * d * k
                var best = 0, bestValue = -Double.infinity, a = 0
                while a + 8 <= k {
                    var sum = SIMD8<Double>(repeating: 0)
                    for r in 0..<count {
                        sum += UnsafeRawPointer(member + rows[r] + a).loadUnaligned(as: SIMD8<Double>.self)
                    }
                    for lane in 0..<8 where sum[lane] > bestValue {
                        best = a + lane
                        bestValue = sum[lane]
                    }
                    a += 8
                }
                while a < k {
                    var sum = 0.0
                    for r in 0..<count { sum += member[rows[r] + a] }
                    if sum > bestValue {
                        best = a
                        bestValue = sum
                    }
                    a += 1
                }
                choices[base + m] = Int32(best)
            }
        }
    }
}
