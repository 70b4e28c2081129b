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
        precondition(gram.count == d * d && moment.count == d && beta.count == d && ridge > 0)
        var l = factor.mutableSpan
        factorize(gram, ridge: ridge, into: &l, d)
        // L·z = b, then Lᵀ·β = z.
        for i in 0..<d {
            var s = moment[i]
            for k in 0..<i { s -= l[i * d + k] * beta[k] }
            beta[i] = s / l[i * d + i]
        }
        for i in stride(from: d - 1, through: 0, by: -1) {
            var s = beta[i]
            for k in (i + 1)..<d { s -= l[k * d + i] * beta[k] }
            beta[i] = s / l[i * d + i]
        }
        guard let inverse else { return }
        precondition(inverse.count == d * d)
        var m = inverseFactor.mutableSpan
        invertLower(l.span, into: &m, d)
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

    /// L with L·Lᵀ = λI + G.
    private static func factorize(_ g: Span<Double>, ridge: Double, into l: inout MutableSpan<Double>, _ d: Int) {
        for j in 0..<d {
            var s = g[j * d + j] + ridge
            for k in 0..<j { s -= l[j * d + k] * l[j * d + k] }
            let pivot = s.squareRoot()
            l[j * d + j] = pivot
            for i in (j + 1)..<d {
                var t = g[i * d + j]
                for k in 0..<j { t -= l[i * d + k] * l[j * d + k] }
                l[i * d + j] = t / pivot
            }
            for i in 0..<j { l[i * d + j] = 0 }
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
