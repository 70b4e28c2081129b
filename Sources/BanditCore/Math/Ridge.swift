// Ridge regression of one post, (λI + XᵀX)·β = Xᵀy, by Cholesky: λ > 0 makes the matrix positive definite.

/// Solves one post's ridge regression, and inverts its matrix A = λI + XᵀX when asked.
///
/// A is symmetric positive definite (λ > 0), so A = L·Lᵀ with L lower triangular and a positive
/// diagonal; β comes from two triangular solves, and A⁻¹ = L⁻ᵀ·L⁻¹, which is exactly symmetric.
/// The solver owns its scratch (L and L⁻¹), allocated once.
struct RidgeSolver: Sendable {
    let size: Int
    /// L, then L⁻¹ (lower triangular, row-major, size × size).
    private var factor: [Double]
    private var inverseFactor: [Double]

    init(size: Int) {
        precondition(size >= 1 && size <= PseudoInverseSolver.maximumSize)
        self.size = size
        factor = [Double](repeating: 0, count: size * size)
        inverseFactor = [Double](repeating: 0, count: size * size)
    }

    /// β = (λI + G)⁻¹·b into `beta`, and A⁻¹ into `inverse` when it is given (G is d × d row-major).
    @inline(__always)
    mutating func solve(
        gram: Span<Double>, moment: Span<Double>, ridge: Double,
        beta: inout MutableSpan<Double>, inverse: UnsafeMutableBufferPointer<Double>? = nil
    ) {
        Self.solve(gram: gram, moment: moment, ridge: ridge, beta: &beta, inverse: inverse, size: size,
                   factor: &factor, inverseFactor: &inverseFactor)
    }

    /// `solve` over the scratch, taken as arguments: spans of two stored properties cannot live together.
    private static func solve(
        gram: Span<Double>, moment: Span<Double>, ridge: Double, beta: inout MutableSpan<Double>,
        inverse: UnsafeMutableBufferPointer<Double>?, size d: Int, factor: inout [Double], inverseFactor: inout [Double]
    ) {
        precondition(gram.count == d * d && moment.count == d && beta.count == d && ridge > 0 && factor.count == d * d)
        // Every index below is under d·d (checked above): the loops run unchecked, as LAPACK's do.
        factor.withUnsafeMutableBufferPointer { l in
            gram.withUnsafeBufferPointer { g in
                moment.withUnsafeBufferPointer { y in
                    beta.withUnsafeMutableBufferPointer { beta in
                        factorize(g.baseAddress!, ridge: ridge, into: l.baseAddress!, d)
                        substitute(l.baseAddress!, y.baseAddress!, into: beta.baseAddress!, d)
                    }
                }
            }
        }
        guard let inverse else { return }
        precondition(inverse.count == d * d)
        var m = inverseFactor.mutableSpan
        invertLower(factor.span, into: &m, d)
        // (A⁻¹)ᵢⱼ = Σ_{k ≥ max(i, j)} (L⁻¹)ₖᵢ·(L⁻¹)ₖⱼ, the same sum for (i, j) and (j, i).
        for i in 0..<d {
            for j in 0...i {
                var s = 0.0
                for k in i..<d { s += m[k * d + i] * m[k * d + j] }
                inverse[i * d + j] = s
                inverse[j * d + i] = s
            }
        }
    }

    /// L with L·Lᵀ = λI + G, reading G's lower triangle only.
    @inline(__always)
    private static func factorize(_ g: UnsafePointer<Double>, ridge: Double, into l: UnsafeMutablePointer<Double>, _ d: Int) {
        for j in 0..<d {
            let rowJ = l + j * d
            let pivot = (g[j * d + j] + ridge - dot(rowJ, rowJ, j)).squareRoot()
            rowJ[j] = pivot
            for i in (j + 1)..<d {
                let rowI = l + i * d
                rowI[j] = (g[i * d + j] - dot(rowI, rowJ, j)) / pivot
            }
            for i in 0..<j { l[i * d + j] = 0 }
        }
    }

    /// Σ x_k·y_k over k < n, in four interleaved sums (independent additions the processor overlaps).
    @inline(__always)
    private static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ n: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, k = 0
        while k + 4 <= n {
            s0 += x[k] * y[k]
            s1 += x[k + 1] * y[k + 1]
            s2 += x[k + 2] * y[k + 2]
            s3 += x[k + 3] * y[k + 3]
            k += 4
        }
        while k < n {
            s0 += x[k] * y[k]
            k += 1
        }
        return (s0 + s1) + (s2 + s3)
    }

    /// L·z = b, then Lᵀ·β = z.
    @inline(__always)
    private static func substitute(_ l: UnsafePointer<Double>, _ b: UnsafePointer<Double>, into beta: UnsafeMutablePointer<Double>, _ d: Int) {
        for i in 0..<d {
            var s = b[i]
            for k in 0..<i { s -= l[i * d + k] * beta[k] }
            beta[i] = s / l[i * d + i]
        }
        for i in stride(from: d - 1, through: 0, by: -1) {
            var s = beta[i]
            for k in (i + 1)..<d { s -= l[k * d + i] * beta[k] }
            beta[i] = s / l[i * d + i]
        }
    }

    /// L⁻¹ of a lower-triangular L, by forward substitution column by column.
    private static func invertLower(_ l: Span<Double>, into m: inout MutableSpan<Double>, _ d: Int) {
        for j in 0..<d {
            for i in 0..<j { m[i * d + j] = 0 }
            m[j * d + j] = 1 / l[j * d + j]
            for i in (j + 1)..<d {
                var s = 0.0
                for k in j..<i { s -= l[i * d + k] * m[k * d + j] }
                m[i * d + j] = s / l[i * d + i]
            }
        }
    }
}
