// The notebook's fit, slowly and obviously, on plain arrays: what every fast path is checked against.

import BanditCore

/// Least squares and Thompson sampling's bootstrap exactly as the notebook writes them, with nothing
/// clever: rows of X as arrays, XᵀX and Xᵀy by their definitions, numpy's `pinv` from an
/// eigendecomposition (for a symmetric matrix the singular values are the eigenvalues' magnitudes).
enum ReferenceFit {
    typealias Matrix = [[Double]]

    /// A logged decision as the fit sees it.
    struct Sample {
        var context: UInt64
        var action: Int
        var reward: Double
    }

    /// Every member's coefficients, `[member][post][feature]`: for member m, then post a, the post's
    /// n decisions in logged order resampled by `randint(0, n, size=n)`, then β = pinv(XᵀX)·Xᵀy; a post
    /// never shown keeps zeros and draws nothing.
    static func ensemble<R: RandomSource>(
        _ log: [Sample], features d: Int, actions k: Int, members: Int, using rng: inout R
    ) -> [Matrix] {
        var rows = [Matrix](repeating: [], count: k), rewards = [[Double]](repeating: [], count: k)
        for sample in log {
            rows[sample.action].append(row(sample.context, features: d))
            rewards[sample.action].append(sample.reward)
        }
        var beta: [Matrix] = []
        for _ in 0..<members {
            var member: Matrix = []
            for a in 0..<k {
                let n = rows[a].count
                if n == 0 {
                    member.append([Double](repeating: 0, count: d))
                    continue
                }
                let drawn = (0..<n).map { _ in rng.nextInt(below: n) }
                member.append(leastSquares(drawn.map { rows[a][$0] }, drawn.map { rewards[a][$0] }))
            }
            beta.append(member)
        }
        return beta
    }

    /// The context as a row of X: feature j is bit j.
    static func row(_ context: UInt64, features d: Int) -> [Double] {
        (0..<d).map { Double(context >> UInt64($0) & 1) }
    }

    /// β = pinv(XᵀX)·Xᵀy.
    static func leastSquares(_ x: Matrix, _ y: [Double]) -> [Double] {
        let xt = transpose(x)
        return multiply(pinv(multiply(xt, x)), multiply(xt, y))
    }

    /// numpy's `pinv` for a symmetric matrix: Σ over eigenpairs with |λ| > 1e-15·max|λ| of v·vᵀ/λ.
    static func pinv(_ a: Matrix) -> Matrix {
        let n = a.count
        let (values, vectors) = symmetricEigen(a)
        let largest = values.map(\.magnitude).max() ?? 0
        var result = Matrix(repeating: [Double](repeating: 0, count: n), count: n)
        for e in 0..<n where values[e].magnitude > 1e-15 * largest {
            for i in 0..<n {
                for j in 0..<n { result[i][j] += vectors[i][e] * vectors[j][e] / values[e] }
            }
        }
        return result
    }

    /// Eigenvalues and eigenvectors (the columns of `vectors`) of a symmetric matrix, by cyclic Jacobi
    /// rotations A ← JᵀAJ, each zeroing one off-diagonal pair, until the off-diagonal part is gone.
    static func symmetricEigen(_ matrix: Matrix) -> (values: [Double], vectors: Matrix) {
        let n = matrix.count
        var a = matrix
        var v = Matrix(repeating: [Double](repeating: 0, count: n), count: n)
        for i in 0..<n { v[i][i] = 1 }
        let scale = a.joined().reduce(0) { $0 + $1 * $1 }
        for _ in 0..<100 {
            var off = 0.0
            for p in 0..<n { for q in 0..<n where q != p { off += a[p][q] * a[p][q] } }
            if off <= 1e-32 * scale { break }
            for p in 0..<n {
                for q in (p + 1)..<n where a[p][q] != 0 {
                    // tan φ of the rotation that zeroes a[p][q]: t² + 2θt − 1 = 0, the smaller root.
                    let theta = (a[q][q] - a[p][p]) / (2 * a[p][q])
                    let t = (theta < 0 ? -1.0 : 1.0) / (theta.magnitude + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for i in 0..<n {
                        (a[i][p], a[i][q]) = (c * a[i][p] - s * a[i][q], s * a[i][p] + c * a[i][q])
                    }
                    for j in 0..<n {
                        (a[p][j], a[q][j]) = (c * a[p][j] - s * a[q][j], s * a[p][j] + c * a[q][j])
                    }
                    for i in 0..<n {
                        (v[i][p], v[i][q]) = (c * v[i][p] - s * v[i][q], s * v[i][p] + c * v[i][q])
                    }
                    // What the rotation zeroes in exact arithmetic, it zeroes here too.
                    a[p][q] = 0
                    a[q][p] = 0
                }
            }
        }
        return ((0..<n).map { a[$0][$0] }, v)
    }

    static func transpose(_ a: Matrix) -> Matrix {
        guard let columns = a.first?.count else { return [] }
        return (0..<columns).map { j in a.map { $0[j] } }
    }

    static func multiply(_ a: Matrix, _ b: Matrix) -> Matrix {
        a.map { row in (0..<(b.first?.count ?? 0)).map { j in zip(row, b).reduce(0) { $0 + $1.0 * $1.1[j] } } }
    }

    static func multiply(_ a: Matrix, _ x: [Double]) -> [Double] {
        a.map { row in zip(row, x).reduce(0) { $0 + $1.0 * $1.1 } }
    }

    /// Each member's greedy choice for a context, straight from the coefficients (members × d × k,
    /// `Recommender.coefficients`' layout): predictions summed in feature order, the first maximum.
    static func greedyChoices(_ coefficients: [Double], context: UInt64, features d: Int, actions k: Int) -> [Int] {
        let features = (0..<d).filter { context >> UInt64($0) & 1 == 1 }
        var choices: [Int] = []
        for m in 0..<(coefficients.count / (d * k)) {
            var best = 0, bestPrediction = -Double.infinity
            for a in 0..<k {
                var prediction = 0.0
                for j in features { prediction += coefficients[(m * d + j) * k + a] }
                if prediction > bestPrediction { (best, bestPrediction) = (a, prediction) }
            }
            choices.append(best)
        }
        return choices
    }
}
