// XᵀX and Xᵀy of binary contexts, one weighted row at a time: least squares' sufficient statistics.

/// The normal equations XᵀX·β = Xᵀy of binary rows, laid out as the recommender keeps them: post
/// a's d × d matrix (row-major) at `gram[a·d·d ..< (a+1)·d·d]`, its vector at `moment[a·d ..< (a+1)·d]`.
enum NormalEquations {
    /// Adds weight·x·xᵀ to post `post`'s XᵀX and weightedReward·x to its Xᵀy, for a binary context
    /// x (bit j is feature j): only the set bits' entries change, each by one addition.
    @inline(__always)
    static func add(
        _ x: UInt64, weight: Double, weightedReward: Double, features d: Int,
        gram: inout MutableSpan<Double>, moment: inout MutableSpan<Double>, post: Int = 0
    ) {
        let g0 = post * d * d, y0 = post * d
        // Every index below is that of a set bit, below d: checked once here, not at each addition.
        precondition(x >> UInt64(d) == 0 && g0 + d * d <= gram.count && y0 + d <= moment.count)
        var outer = x
        while outer != 0 {
            let j = outer.trailingZeroBitCount
            outer &= outer - 1
            let row = g0 &+ j &* d
            moment[unchecked: y0 &+ j] += weightedReward
            gram[unchecked: row &+ j] += weight
            var inner = outer
            while inner != 0 {
                let i = inner.trailingZeroBitCount
                inner &= inner - 1
                gram[unchecked: row &+ i] += weight
                gram[unchecked: g0 &+ i &* d &+ j] += weight
            }
        }
    }

    /// `add` into the lower triangle only (entries (i, j) with i ≥ j), which is all a Cholesky
    /// factorisation reads: half the additions.
    @inline(__always)
    static func addLower(
        _ x: UInt64, weight: Double, weightedReward: Double, features d: Int,
        gram: UnsafeMutablePointer<Double>, moment: UnsafeMutablePointer<Double>
    ) {
        precondition(x >> UInt64(d) == 0)
        var outer = x
        while outer != 0 {
            let i = outer.trailingZeroBitCount
            outer &= outer - 1
            moment[i] += weightedReward
            // Row i, columns j ≤ i: the set bits up to and including i.
            let row = gram + i &* d
            var inner = x & (UInt64.max >> UInt64(63 - i))
            while inner != 0 {
                row[inner.trailingZeroBitCount] += weight
                inner &= inner - 1
            }
        }
    }

    /// `add` on whole arrays: one logged decision of a post, taken into that post's statistics.
    @inline(__always)
    static func add(
        _ x: UInt64, weight: Double, weightedReward: Double, features d: Int,
        gram: inout [Double], moment: inout [Double], post: Int
    ) {
        var g = gram.mutableSpan, y = moment.mutableSpan
        add(x, weight: weight, weightedReward: weightedReward, features: d, gram: &g, moment: &y, post: post)
    }
}
