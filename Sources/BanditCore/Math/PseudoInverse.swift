// Least squares as the notebook computes it: β = pinv(XᵀX)·Xᵀy, with numpy's cut-off for small values.

/// Solves the normal equations of one action, `pinv(A)·b` for a symmetric positive semi-definite A.
///
/// numpy's `pinv` discards singular values at or below 1e-15 × the largest. For a symmetric matrix
/// the singular values are the eigenvalues' magnitudes, so a cyclic Jacobi eigendecomposition, which
/// is accurate, gives the same pseudo-inverse. Two faster paths give the same solution when the
/// pivots leave no doubt about the rank: plain Cholesky when the matrix is comfortably full rank (the
/// pseudo-inverse is then the inverse), and pivoted Cholesky when some pivots vanish to rounding
/// level (exact rank deficiency, as with few logged decisions): A = G·Gᵀ with G of full column rank,
/// and pinv(A)·b = G·(GᵀG)⁻²·Gᵀ·b, the minimum-norm solution. Pivots in between go to Jacobi.
/// A fourth path skips A altogether when its rows are few distinct independent binary rows.
///
/// The solver owns its scratch, allocated once, never per solve. Each path is a static function
/// handed the buffers it writes: a span of one stored property holds the whole value while it lives.
public struct PseudoInverseSolver: Sendable {
    public let size: Int

    /// numpy's default `rcond`: the notebook's own rule for which singular values count as zero.
    public static let cutoff = 1e-15
    /// Cholesky pivots above this fraction of the largest diagonal entry are real: rounding leaves
    /// those of an exactly singular matrix below d·ε ≈ 1.4e-14 (d ≤ 64), five orders of magnitude lower.
    public static let choleskyPivotFloor = 1e-9
    /// Pivots at or below this fraction are rounding noise of an exactly singular matrix: a thousand
    /// times that noise (d·ε ≈ 1.4e-14), a hundred times below `choleskyPivotFloor`; in between, Jacobi decides.
    public static let rankDeficiencyCeiling = 1e-11

    /// The most unknowns: a world's features, bit positions of a context.
    public static let maximumSize = 64
    /// A permutation of up to `maximumSize` positions, on the stack.
    typealias Permutation = InlineArray<64, UInt8>

    /// The Cholesky factor of A, P·Pᵀ or GᵀG, or Jacobi's working copy of A (size × size).
    private var factor: [Double]
    /// The matrix being worked on: pivoted Cholesky's Schur complement, or P·Pᵀ or GᵀG before they
    /// are factored (size × size).
    private var matrix: [Double]
    /// Pivoted Cholesky's factor G (size × rank, row stride `size`), or Jacobi's eigenvectors, one
    /// per column (size × size).
    private var vectors: [Double]
    /// Gᵀb in pivoted Cholesky, or the right-hand side of P·Pᵀ·z = ȳ (size).
    private var work: [Double]

    public init(size: Int) {
        precondition(size >= 1 && size <= Self.maximumSize && Self.maximumSize <= Permutation.count)
        self.size = size
        let square = [Double](repeating: 0, count: size * size)
        factor = square
        matrix = square
        vectors = square
        work = [Double](repeating: 0, count: size)
    }

    /// Writes pinv(A)·b into `solution` (A is `size` × `size`, row-major; b and the solution have `size` entries).
    @inline(__always)
    public mutating func solve(_ a: Span<Double>, _ b: Span<Double>, into solution: inout MutableSpan<Double>) {
        let n = size
        precondition(a.count == n * n && b.count == n && solution.count == n)
        // Pivots are judged against the largest diagonal entry; a zero matrix goes straight to Jacobi.
        var largest = 0.0
        for i in 0..<n { largest = max(largest, a[i * n + i]) }
        if largest > 0 {
            if Self.solveByCholesky(a, b, n, floor: largest * Self.choleskyPivotFloor, factor: &factor, into: &solution) {
                return
            }
            if Self.solveByPivotedCholesky(a, b, n, largest: largest, schur: &matrix, g: &vectors, factor: &factor,
                                           projected: &work, into: &solution) {
                return
            }
        }
        Self.solveByEigen(a, b, n, matrix: &factor, vectors: &vectors, into: &solution)
    }

    /// `solve` for whole arrays.
    @inline(__always)
    public mutating func solve(_ a: [Double], _ b: [Double], into solution: inout [Double]) {
        var x = solution.mutableSpan
        solve(a.span, b.span, into: &x)
    }

    /// Convenience for arrays; returns the solution.
    public mutating func solve(_ a: [Double], _ b: [Double]) -> [Double] {
        var x = [Double](repeating: 0, count: size)
        solve(a, b, into: &x)
        return x
    }

    /// The pseudo-inverse itself, column by column (for tests and inspection).
    public mutating func pseudoInverse(_ a: [Double]) -> [Double] {
        let n = size
        precondition(a.count == n * n)
        var result = [Double](repeating: 0, count: n * n)
        var column = [Double](repeating: 0, count: n)
        for c in 0..<n {
            let unit = (0..<n).map { $0 == c ? 1.0 : 0 }
            var x = column.mutableSpan
            Self.solveByEigen(a.span, unit.span, n, matrix: &factor, vectors: &vectors, into: &x)
            for r in 0..<n { result[r * n + c] = column[r] }
        }
        return result
    }

    // MARK: Cholesky fast path

    private static func solveByCholesky(
        _ a: Span<Double>, _ b: Span<Double>, _ n: Int, floor: Double,
        factor: inout [Double], into solution: inout MutableSpan<Double>
    ) -> Bool {
        var l = factor.mutableSpan
        guard factorize(a, into: &l, n, floor: floor) else { return false }
        for i in 0..<n { solution[i] = b[i] }
        substitute(l.span, n, &solution)
        return true
    }

    /// The Cholesky factor L of the lower triangle of `a` into the lower triangle of `l` (both n × n,
    /// row-major). False when a pivot is at or below `floor`.
    @inline(__always)
    private static func factorize(_ a: Span<Double>, into l: inout MutableSpan<Double>, _ n: Int, floor: Double) -> Bool {
        // Every index below is i·n + j with i, j < n: within the n × n checked here.
        precondition(n * n <= a.count && n * n <= l.count)
        for i in 0..<n {
            for j in 0...i {
                var sum = a[unchecked: i * n + j]
                for k in 0..<j { sum -= l[unchecked: i * n + k] * l[unchecked: j * n + k] }
                if i == j {
                    guard sum > floor else { return false }
                    l[unchecked: i * n + i] = sum.squareRoot()
                } else {
                    l[unchecked: i * n + j] = sum / l[unchecked: j * n + j]
                }
            }
        }
        return true
    }

    /// Replaces y by (L·Lᵀ)⁻¹·y: forward, then back substitution (L is n × n, row-major).
    @inline(__always)
    private static func substitute(_ l: Span<Double>, _ n: Int, _ y: inout MutableSpan<Double>) {
        // Every index below is within the n × n and n checked here.
        precondition(n * n <= l.count && n <= y.count)
        for i in 0..<n {
            var sum = y[unchecked: i]
            for k in 0..<i { sum -= l[unchecked: i * n + k] * y[unchecked: k] }
            y[unchecked: i] = sum / l[unchecked: i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            var sum = y[unchecked: i]
            for k in (i + 1)..<n { sum -= l[unchecked: k * n + i] * y[unchecked: k] }
            y[unchecked: i] = sum / l[unchecked: i * n + i]
        }
    }

    // MARK: Pivoted Cholesky for exactly rank-deficient matrices

    private static func solveByPivotedCholesky(
        _ a: Span<Double>, _ b: Span<Double>, _ n: Int, largest: Double,
        schur: inout [Double], g: inout [Double], factor: inout [Double], projected: inout [Double],
        into solution: inout MutableSpan<Double>
    ) -> Bool {
        var order = Permutation(repeating: 0)
        var orderSpan = order.mutableSpan
        guard let rank = pivotedFactor(a, n, largest: largest, schur: &schur, g: &g, order: &orderSpan) else { return false }
        // The Schur complement's room is free again: GᵀG goes there.
        return minimumNormSolution(g.span, rank: rank, n, order: order.span, b, gtg: &schur, factor: &factor,
                                   projected: &projected, into: &solution)
    }

    /// Pᵀ·A·P = G·Gᵀ with G (n × rank, row stride n) of full column rank and P the pivot order:
    /// Cholesky choosing the largest remaining pivot each step, until what remains is rounding noise.
    /// Nil when a pivot is too small to trust and too large to discard.
    private static func pivotedFactor(
        _ a: Span<Double>, _ n: Int, largest: Double, schur: inout [Double], g: inout [Double], order: inout MutableSpan<UInt8>
    ) -> Int? {
        let zero = largest * rankDeficiencyCeiling, real = largest * choleskyPivotFloor
        var m = schur.mutableSpan, g = g.mutableSpan
        // Every index below is i·n + j with i, j < n: within the n × n and n checked here.
        precondition(n * n <= a.count && n * n <= m.count && n * n <= g.count && n <= order.count)
        for i in 0..<(n * n) { m[unchecked: i] = a[unchecked: i]; g[unchecked: i] = 0 }
        for i in 0..<n { order[unchecked: i] = UInt8(i) }
        var rank = 0
        while rank < n {
            var p = rank
            for i in rank..<n where m[unchecked: i * n + i] > m[unchecked: p * n + p] { p = i }
            let pivot = m[unchecked: p * n + p]
            if pivot <= zero { break }
            if pivot < real { return nil }
            if p != rank {
                for j in 0..<n { m.swapAt(unchecked: rank * n + j, unchecked: p * n + j) }
                for i in 0..<n { m.swapAt(unchecked: i * n + rank, unchecked: i * n + p) }
                for j in 0..<rank { g.swapAt(unchecked: rank * n + j, unchecked: p * n + j) }
                order.swapAt(rank, p)
            }
            let root = pivot.squareRoot()
            g[unchecked: rank * n + rank] = root
            for i in (rank + 1)..<max(rank + 1, n) { g[unchecked: i * n + rank] = m[unchecked: i * n + rank] / root }
            for i in (rank + 1)..<max(rank + 1, n) {
                for j in (rank + 1)...i {
                    let updated = m[unchecked: i * n + j] - g[unchecked: i * n + rank] * g[unchecked: j * n + rank]
                    m[unchecked: i * n + j] = updated
                    m[unchecked: j * n + i] = updated
                }
            }
            rank += 1
        }
        // Whatever is left must be rounding noise: every remaining diagonal entry near zero.
        for i in rank..<n where abs(m[unchecked: i * n + i]) > zero { return nil }
        return rank > 0 ? rank : nil
    }

    /// pinv(A)·b = P·G·(GᵀG)⁻²·Gᵀ·Pᵀb for A = P·G·Gᵀ·Pᵀ; false (nothing written) if GᵀG will not factor.
    private static func minimumNormSolution(
        _ g: Span<Double>, rank: Int, _ n: Int, order: Span<UInt8>, _ b: Span<Double>,
        gtg: inout [Double], factor: inout [Double], projected: inout [Double], into solution: inout MutableSpan<Double>
    ) -> Bool {
        var c = projected.mutableSpan, gram = gtg.mutableSpan, l = factor.mutableSpan
        // Indices below are within G (n × rank ≤ n × n), GᵀG (rank × rank), b and the order (n): checked here;
        // the order is a permutation of 0..<n.
        precondition(rank <= n && n * n <= g.count && n * n <= gram.count && n <= b.count && n <= order.count
                     && n <= solution.count && rank <= c.count)
        for k in 0..<rank {
            var sum = 0.0
            for i in 0..<n { sum += g[unchecked: i * n + k] * b[unchecked: Int(order[unchecked: i])] }
            c[unchecked: k] = sum
        }
        for r in 0..<rank {
            for k in 0...r {
                var sum = 0.0
                for i in 0..<n { sum += g[unchecked: i * n + r] * g[unchecked: i * n + k] }
                gram[unchecked: r * rank + k] = sum
            }
        }
        // GᵀG is full rank and well conditioned: Cholesky, then its inverse applied twice.
        guard factorize(gram.span, into: &l, rank, floor: 0) else { return false }
        substitute(l.span, rank, &c)
        substitute(l.span, rank, &c)
        for i in 0..<n {
            var sum = 0.0
            for k in 0..<rank { sum += g[unchecked: i * n + k] * c[unchecked: k] }
            solution[Int(order[unchecked: i])] = sum
        }
        return true
    }

    // MARK: Independent binary rows

    /// The least-squares solution from m distinct binary rows x₁…x_m (bit j is feature j) whose
    /// observations average ȳ₁…ȳ_m, when the rows are linearly independent: then
    /// pinv(XᵀX)·Xᵀy = Pᵀ·(P·Pᵀ)⁻¹·ȳ, where P stacks the distinct rows, whatever the multiplicities.
    /// P·Pᵀ counts shared bits, so it is an exact integer matrix of size m ≤ `size`, far smaller work
    /// than the rank-deficient d × d problem it replaces. False (nothing written) when a pivot says the
    /// rows may be dependent; the caller then solves the normal equations.
    public mutating func solveIndependentRows(
        _ rows: Span<UInt64>, means: Span<Double>, into solution: inout MutableSpan<Double>
    ) -> Bool {
        precondition(means.count == rows.count && solution.count == size)
        return Self.solveIndependentRows(rows, means, rowGram: &matrix, factor: &factor, z: &work, into: &solution)
    }

    private static func solveIndependentRows(
        _ rows: Span<UInt64>, _ means: Span<Double>, rowGram: inout [Double], factor: inout [Double], z: inout [Double],
        into solution: inout MutableSpan<Double>
    ) -> Bool {
        let m = rows.count
        var l = factor.mutableSpan, z = z.mutableSpan
        guard factorRowGram(rows, scratch: &rowGram, into: &l) else { return false }
        for i in 0..<m { z[i] = means[i] }
        substitute(l.span, m, &z)
        for j in solution.indices { solution[j] = 0 }
        for i in 0..<m {
            var bits = rows[i]
            while bits != 0 {
                solution[bits.trailingZeroBitCount] += z[i]
                bits &= bits - 1
            }
        }
        return true
    }

    /// The operator of `solveIndependentRows` for these m rows, Pᵀ·(P·Pᵀ)⁻¹ (`size` × m, row-major),
    /// so that the solution for any mean rewards ȳ is the product with ȳ. It depends on the rows
    /// alone, so a caller meeting the same rows again can keep it. False when the rows may be dependent.
    public mutating func independentRowsOperator(_ rows: Span<UInt64>, into op: inout MutableSpan<Double>) -> Bool {
        precondition(op.count >= size * rows.count)
        return Self.independentRowsOperator(rows, size, rowGram: &matrix, factor: &factor, z: &work, into: &op)
    }

    private static func independentRowsOperator(
        _ rows: Span<UInt64>, _ n: Int, rowGram: inout [Double], factor: inout [Double], z: inout [Double],
        into op: inout MutableSpan<Double>
    ) -> Bool {
        let m = rows.count
        var l = factor.mutableSpan, z = z.mutableSpan
        guard factorRowGram(rows, scratch: &rowGram, into: &l) else { return false }
        for i in 0..<(n * m) { op[i] = 0 }
        for column in 0..<m {
            for i in 0..<m { z[i] = i == column ? 1 : 0 }
            substitute(l.span, m, &z)
            for i in 0..<m {
                var bits = rows[i]
                while bits != 0 {
                    op[bits.trailingZeroBitCount * m + column] += z[i]
                    bits &= bits - 1
                }
            }
        }
        return true
    }

    /// The Cholesky factor of P·Pᵀ (m × m, m ≤ `size` rows), whose entries count the bits two rows
    /// share. Dependent rows leave a pivot of rounding noise (below m·d·ε ≈ 5e-13 for m, d ≤ 64),
    /// under the floor, so they are always refused; refusing independent ones only costs the long way.
    @inline(__always)
    private static func factorRowGram(_ rows: Span<UInt64>, scratch: inout [Double], into l: inout MutableSpan<Double>) -> Bool {
        let m = rows.count
        guard m >= 1 && m * m <= l.count else { return false }
        var rowGram = scratch.mutableSpan
        for i in 0..<m {
            for j in 0...i { rowGram[i * m + j] = Double((rows[i] & rows[j]).nonzeroBitCount) }
        }
        return factorize(rowGram.span, into: &l, m, floor: choleskyPivotFloor)
    }
}
