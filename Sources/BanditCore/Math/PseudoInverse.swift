// Least squares as the notebook computes it: β = pinv(XᵀX)·Xᵀy, with numpy's cut-off for small values.

import Foundation

/// Solves the normal equations of one action, `pinv(A)·b` for a symmetric positive semi-definite A.
///
/// numpy's `pinv` discards singular values at or below 1e-15 × the largest. For a symmetric matrix
/// the singular values are the eigenvalues' magnitudes, so a cyclic Jacobi eigendecomposition, which
/// is accurate, gives the same pseudo-inverse. Two faster paths give the same solution when the
/// pivots leave no doubt about the rank: plain Cholesky when the matrix is comfortably full rank (the
/// pseudo-inverse is then the inverse), and pivoted Cholesky when some pivots vanish to rounding
/// level (exact rank deficiency, as with few logged decisions): A = G·Gᵀ with G of full column rank,
/// and pinv(A)·b = G·(GᵀG)⁻²·Gᵀ·b, the minimum-norm solution. Pivots in between go to Jacobi.
/// Scratch space is allocated once per solver, never per solve.
public struct PseudoInverseSolver: Sendable {
    public let size: Int
    /// numpy's default `rcond`.
    public static let cutoff = 1e-15
    /// Smallest Cholesky pivot, relative to the largest diagonal entry, that takes the fast path.
    /// Exactly singular count matrices leave pivots near 1e-16; anything below this goes to Jacobi.
    public static let choleskyPivotFloor = 1e-9

    private var matrix: [Double]
    private var vectors: [Double]
    private var values: [Double]
    private var work: [Double]

    public init(size: Int) {
        precondition(size >= 1)
        self.size = size
        matrix = [Double](repeating: 0, count: size * size)
        vectors = [Double](repeating: 0, count: size * size)
        values = [Double](repeating: 0, count: size)
        work = [Double](repeating: 0, count: size)
    }

    /// Writes pinv(A)·b into `solution[0], solution[stride], …` (A is `size`×`size`, row-major).
    public mutating func solve(
        _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>,
        into solution: UnsafeMutablePointer<Double>, stride: Int = 1
    ) {
        // Pivots are judged against the largest diagonal entry; a zero matrix goes straight to Jacobi.
        var largest = 0.0
        for i in 0..<size { largest = max(largest, a[i * size + i]) }
        if largest > 0 {
            if solveByCholesky(a, b, largest: largest, into: solution, stride: stride) { return }
            if solveByPivotedCholesky(a, b, largest: largest, into: solution, stride: stride) { return }
        }
        solveByEigen(a, b, into: solution, stride: stride)
    }

    /// Pivots at or below this (relative to the largest diagonal entry) are rounding noise of an
    /// exactly singular matrix; above `choleskyPivotFloor` they are real; in between, Jacobi decides.
    public static let rankDeficiencyCeiling = 1e-11

    /// Convenience for arrays; returns the solution.
    public mutating func solve(_ a: [Double], _ b: [Double]) -> [Double] {
        precondition(a.count == size * size && b.count == size)
        var x = [Double](repeating: 0, count: size)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                x.withUnsafeMutableBufferPointer { xp in solve(ap.baseAddress!, bp.baseAddress!, into: xp.baseAddress!) }
            }
        }
        return x
    }

    /// The pseudo-inverse itself, column by column (for tests and inspection).
    public mutating func pseudoInverse(_ a: [Double]) -> [Double] {
        precondition(a.count == size * size)
        var result = [Double](repeating: 0, count: size * size)
        for column in 0..<size {
            var unit = [Double](repeating: 0, count: size)
            unit[column] = 1
            a.withUnsafeBufferPointer { ap in
                unit.withUnsafeBufferPointer { up in
                    result.withUnsafeMutableBufferPointer { rp in
                        solveByEigen(ap.baseAddress!, up.baseAddress!, into: rp.baseAddress! + column, stride: size)
                    }
                }
            }
        }
        return result
    }

    // MARK: Cholesky fast path

    private mutating func solveByCholesky(
        _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, largest: Double,
        into solution: UnsafeMutablePointer<Double>, stride: Int
    ) -> Bool {
        let n = size
        let floor = largest * Self.choleskyPivotFloor
        return matrix.withUnsafeMutableBufferPointer { lBuffer in
            work.withUnsafeMutableBufferPointer { yBuffer in
                let l = lBuffer.baseAddress!, y = yBuffer.baseAddress!
                guard Self.factor(a, into: l, n, floor: floor) else { return false }
                for i in 0..<n { y[i] = b[i] }
                Self.substitute(l, n, y)
                for i in 0..<n { solution[i * stride] = y[i] }
                return true
            }
        }
    }

    /// The Cholesky factor L (lower triangle, row-major) of the lower triangle of `a`; `a` and `l` may
    /// be the same storage. False when a pivot is at or below `floor`.
    @inline(__always)
    private static func factor(_ a: UnsafePointer<Double>, into l: UnsafeMutablePointer<Double>, _ n: Int, floor: Double) -> Bool {
        for i in 0..<n {
            for j in 0...i {
                var sum = a[i * n + j]
                for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard sum > floor else { return false }
                    l[i * n + i] = sum.squareRoot()
                } else {
                    l[i * n + j] = sum / l[j * n + j]
                }
            }
        }
        return true
    }

    /// Replaces y by (L·Lᵀ)⁻¹·y: forward, then back substitution.
    @inline(__always)
    private static func substitute(_ l: UnsafePointer<Double>, _ n: Int, _ y: UnsafeMutablePointer<Double>) {
        for i in 0..<n {
            var sum = y[i]
            for k in 0..<i { sum -= l[i * n + k] * y[k] }
            y[i] = sum / l[i * n + i]
        }
        for i in Swift.stride(from: n - 1, through: 0, by: -1) {
            var sum = y[i]
            for k in (i + 1)..<n { sum -= l[k * n + i] * y[k] }
            y[i] = sum / l[i * n + i]
        }
    }

    // MARK: Pivoted Cholesky for exactly rank-deficient matrices

    private var pivoted: [Double] = []

    private mutating func solveByPivotedCholesky(
        _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, largest: Double,
        into solution: UnsafeMutablePointer<Double>, stride: Int
    ) -> Bool {
        let n = size
        let zero = largest * Self.rankDeficiencyCeiling, real = largest * Self.choleskyPivotFloor
        if pivoted.count < 3 * n * n + 2 * n { pivoted = [Double](repeating: 0, count: 3 * n * n + 2 * n) }
        return pivoted.withUnsafeMutableBufferPointer { buffer in
            let m = buffer.baseAddress!            // the Schur complement, n × n
            let g = m + n * n                      // G, n × rank, row-major with row stride n
            let gram = g + n * n                   // GᵀG, rank × rank
            let order = gram + n * n               // the permutation, as doubles
            let c = order + n
            for i in 0..<(n * n) { m[i] = a[i]; g[i] = 0 }
            for i in 0..<n { order[i] = Double(i) }
            var rank = 0
            while rank < n {
                var p = rank
                for i in rank..<n where m[i * n + i] > m[p * n + p] { p = i }
                let pivot = m[p * n + p]
                if pivot <= zero { break }
                if pivot < real { return false }
                if p != rank {
                    for j in 0..<n { swap(&m[rank * n + j], &m[p * n + j]) }
                    for i in 0..<n { swap(&m[i * n + rank], &m[i * n + p]) }
                    for j in 0..<rank { swap(&g[rank * n + j], &g[p * n + j]) }
                    swap(&order[rank], &order[p])
                }
                let root = pivot.squareRoot()
                g[rank * n + rank] = root
                for i in (rank + 1)..<max(rank + 1, n) { g[i * n + rank] = m[i * n + rank] / root }
                for i in (rank + 1)..<max(rank + 1, n) {
                    for j in (rank + 1)...i {
                        let updated = m[i * n + j] - g[i * n + rank] * g[j * n + rank]
                        m[i * n + j] = updated
                        m[j * n + i] = updated
                    }
                }
                rank += 1
            }
            // Whatever is left must be rounding noise: every remaining diagonal entry near zero.
            for i in rank..<n where abs(m[i * n + i]) > zero { return false }
            guard rank > 0 else { return false }
            // c = Gᵀ·(Pᵀb), then c ← (GᵀG)⁻²·c, then x = P·G·c.
            for k in 0..<rank {
                var sum = 0.0
                for i in 0..<n { sum += g[i * n + k] * b[Int(order[i])] }
                c[k] = sum
            }
            for r in 0..<rank {
                for k in 0...r {
                    var sum = 0.0
                    for i in 0..<n { sum += g[i * n + r] * g[i * n + k] }
                    gram[r * rank + k] = sum
                }
            }
            // GᵀG is full rank and well conditioned: Cholesky in place, then apply its inverse twice.
            guard Self.factor(gram, into: gram, rank, floor: 0) else { return false }
            Self.substitute(gram, rank, c)
            Self.substitute(gram, rank, c)
            for i in 0..<n {
                var sum = 0.0
                for k in 0..<rank { sum += g[i * n + k] * c[k] }
                solution[Int(order[i]) * stride] = sum
            }
            return true
        }
    }

    // MARK: Independent binary rows

    /// The least-squares solution from m distinct binary rows x₁…x_m (bit j is feature j) whose
    /// observations average ȳ₁…ȳ_m, when the rows are linearly independent: then
    /// pinv(XᵀX)·Xᵀy = Pᵀ·(P·Pᵀ)⁻¹·ȳ, where P stacks the distinct rows, whatever the multiplicities.
    /// P·Pᵀ counts shared bits, so it is an exact integer matrix of size m ≤ `size`, far smaller work
    /// than the rank-deficient d × d problem it replaces. False (nothing written) when a pivot says the
    /// rows may be dependent; the caller then solves the normal equations.
    public mutating func solveIndependentRows(
        _ rows: UnsafePointer<UInt64>, means: UnsafePointer<Double>, count m: Int,
        into solution: UnsafeMutablePointer<Double>, stride: Int = 1
    ) -> Bool {
        let n = size
        return withRowGramFactor(rows, m) { l, z in
            for i in 0..<m { z[i] = means[i] }
            Self.substitute(l, m, z)
            for j in 0..<n { solution[j * stride] = 0 }
            for i in 0..<m {
                var bits = rows[i]
                while bits != 0 {
                    solution[bits.trailingZeroBitCount * stride] += z[i]
                    bits &= bits - 1
                }
            }
        }
    }

    /// The operator of `solveIndependentRows` for these rows, Pᵀ·(P·Pᵀ)⁻¹ (`size` × m, row-major),
    /// so that the solution for any mean rewards ȳ is the product with ȳ. It depends on the rows
    /// alone, so a caller meeting the same rows again can keep it. False when the rows may be dependent.
    public mutating func independentRowsOperator(
        _ rows: UnsafePointer<UInt64>, count m: Int, into op: UnsafeMutablePointer<Double>
    ) -> Bool {
        let n = size
        return withRowGramFactor(rows, m) { l, z in
            for i in 0..<(n * m) { op[i] = 0 }
            for column in 0..<m {
                for i in 0..<m { z[i] = i == column ? 1 : 0 }
                Self.substitute(l, m, z)
                for i in 0..<m {
                    var bits = rows[i]
                    while bits != 0 {
                        op[bits.trailingZeroBitCount * m + column] += z[i]
                        bits &= bits - 1
                    }
                }
            }
        }
    }

    /// Runs `body` with the Cholesky factor of P·Pᵀ for m ≤ `size` rows and a scratch vector of m;
    /// false, without running it, when the rows may be dependent.
    @inline(__always)
    private mutating func withRowGramFactor(
        _ rows: UnsafePointer<UInt64>, _ m: Int,
        _ body: (UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void
    ) -> Bool {
        guard m >= 1 && m <= size else { return false }
        return matrix.withUnsafeMutableBufferPointer { lBuffer in
            work.withUnsafeMutableBufferPointer { zBuffer in
                let l = lBuffer.baseAddress!
                guard Self.factorRowGram(rows, m, into: l) else { return false }
                body(l, zBuffer.baseAddress!)
                return true
            }
        }
    }

    /// The Cholesky factor of P·Pᵀ, whose entries count the bits two rows share.
    /// Pivots of an integer Gram matrix of independent rows are at least 1/n^(m-1); rounding noise
    /// of dependent ones is far below the floor. Anything doubtful (false) goes the long way.
    @inline(__always)
    private static func factorRowGram(_ rows: UnsafePointer<UInt64>, _ m: Int, into l: UnsafeMutablePointer<Double>) -> Bool {
        for i in 0..<m {
            for j in 0...i { l[i * m + j] = Double((rows[i] & rows[j]).nonzeroBitCount) }
        }
        return factor(l, into: l, m, floor: choleskyPivotFloor)
    }

    // MARK: Jacobi eigendecomposition

    private mutating func solveByEigen(
        _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>,
        into solution: UnsafeMutablePointer<Double>, stride: Int
    ) {
        let n = size
        matrix.withUnsafeMutableBufferPointer { mBuffer in
            vectors.withUnsafeMutableBufferPointer { vBuffer in
                values.withUnsafeMutableBufferPointer { wBuffer in
                    work.withUnsafeMutableBufferPointer { tBuffer in
                        let m = mBuffer.baseAddress!, v = vBuffer.baseAddress!
                        let w = wBuffer.baseAddress!, t = tBuffer.baseAddress!
                        for i in 0..<(n * n) { m[i] = a[i]; v[i] = 0 }
                        for i in 0..<n { v[i * n + i] = 1 }
                        Self.jacobi(m, v, n)
                        var largest = 0.0
                        for i in 0..<n {
                            w[i] = m[i * n + i]
                            largest = max(largest, w[i].magnitude)
                        }
                        let cut = Self.cutoff * largest
                        for i in 0..<n { solution[i * stride] = 0 }
                        guard largest > 0 else { return }
                        // β = Σ over kept eigenpairs of v (vᵀb) / λ
                        for e in 0..<n where w[e].magnitude > cut {
                            var projection = 0.0
                            for i in 0..<n { projection += v[i * n + e] * b[i] }
                            t[e] = projection / w[e]
                            for i in 0..<n { solution[i * stride] += v[i * n + e] * t[e] }
                        }
                    }
                }
            }
        }
    }

    /// Cyclic Jacobi rotations until the off-diagonal part vanishes to working precision.
    /// On return the diagonal of `m` holds the eigenvalues and the columns of `v` the eigenvectors.
    private static func jacobi(_ m: UnsafeMutablePointer<Double>, _ v: UnsafeMutablePointer<Double>, _ n: Int) {
        for sweep in 0..<64 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<n { off += m[p * n + q] * m[p * n + q] } }
            if off == 0 { return }
            for p in 0..<(n - 1) {
                for q in (p + 1)..<n {
                    let apq = m[p * n + q]
                    if apq == 0 { continue }
                    let app = m[p * n + p], aqq = m[q * n + q]
                    let g = 100 * apq.magnitude
                    // After a few sweeps, an element below the diagonal's precision is set to zero.
                    if sweep > 3, app.magnitude + g == app.magnitude, aqq.magnitude + g == aqq.magnitude {
                        m[p * n + q] = 0
                        m[q * n + p] = 0
                        continue
                    }
                    let h = aqq - app
                    let tangent: Double
                    if h.magnitude + g == h.magnitude {
                        tangent = apq / h
                    } else {
                        let theta = 0.5 * h / apq
                        tangent = (theta < 0 ? -1.0 : 1.0) / (theta.magnitude + (1 + theta * theta).squareRoot())
                    }
                    let c = 1 / (1 + tangent * tangent).squareRoot()
                    let s = tangent * c
                    let tau = s / (1 + c)
                    let shift = tangent * apq
                    m[p * n + p] = app - shift
                    m[q * n + q] = aqq + shift
                    m[p * n + q] = 0
                    m[q * n + p] = 0
                    for r in 0..<n where r != p && r != q {
                        let grp = m[r * n + p], grq = m[r * n + q]
                        let newP = grp - s * (grq + grp * tau)
                        let newQ = grq + s * (grp - grq * tau)
                        m[r * n + p] = newP; m[p * n + r] = newP
                        m[r * n + q] = newQ; m[q * n + r] = newQ
                    }
                    for r in 0..<n {
                        let vrp = v[r * n + p], vrq = v[r * n + q]
                        v[r * n + p] = vrp - s * (vrq + vrp * tau)
                        v[r * n + q] = vrq + s * (vrp - vrq * tau)
                    }
                }
            }
        }
    }
}
