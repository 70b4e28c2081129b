// numpy's pinv by the book: a cyclic Jacobi eigendecomposition, eigenpairs below the cut-off dropped.

extension PseudoInverseSolver {
    /// β = Σ over the eigenpairs (λ, v) that numpy keeps, |λ| > `cutoff`·max|λ|, of v·(vᵀb)/λ.
    static func solveByEigen(
        _ a: Span<Double>, _ b: Span<Double>, _ n: Int, matrix: inout [Double], vectors: inout [Double],
        into solution: inout MutableSpan<Double>
    ) {
        var m = matrix.mutableSpan, v = vectors.mutableSpan
        for i in 0..<(n * n) { m[i] = a[i]; v[i] = 0 }
        for i in 0..<n { v[i * n + i] = 1 }
        jacobi(&m, &v, n)
        var largest = 0.0
        for i in 0..<n { largest = max(largest, m[i * n + i].magnitude) }
        let cut = cutoff * largest
        for i in 0..<n { solution[i] = 0 }
        guard largest > 0 else { return }
        for e in 0..<n where m[e * n + e].magnitude > cut {
            var projection = 0.0
            for i in 0..<n { projection += v[i * n + e] * b[i] }
            let t = projection / m[e * n + e]
            for i in 0..<n { solution[i] += v[i * n + e] * t }
        }
    }

    /// Cyclic Jacobi converges quadratically (about ten sweeps for n ≤ 64): this bound only stops a pathological input.
    private static let maximumSweeps = 64
    /// As Numerical Recipes' `jacobi`: after the first three sweeps, an off-diagonal element too small
    /// to change either diagonal entry it couples, even 100 times over, is rounding noise and set to zero.
    private static let negligibleAfterSweeps = 3
    private static let negligibleFactor = 100.0

    /// Cyclic Jacobi rotations until the off-diagonal part vanishes to working precision.
    /// On return the diagonal of `m` holds the eigenvalues and the columns of `v` the eigenvectors.
    private static func jacobi(_ m: inout MutableSpan<Double>, _ v: inout MutableSpan<Double>, _ n: Int) {
        for sweep in 0..<maximumSweeps {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<n { off += m[p * n + q] * m[p * n + q] } }
            if off == 0 { return }
            for p in 0..<(n - 1) {
                for q in (p + 1)..<n {
                    let apq = m[p * n + q]
                    if apq == 0 { continue }
                    let app = m[p * n + p], aqq = m[q * n + q]
                    let g = negligibleFactor * apq.magnitude
                    if sweep > negligibleAfterSweeps, app.magnitude + g == app.magnitude, aqq.magnitude + g == aqq.magnitude {
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
