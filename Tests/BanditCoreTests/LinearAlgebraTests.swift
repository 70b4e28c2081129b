// Least squares with numpy's pinv semantics, against answers known in closed form.

import BanditCore
import Testing

@Suite("Pseudo-inverse")
struct LinearAlgebraTests {
    static func close(_ a: [Double], _ b: [Double], _ tolerance: Double = 1e-12) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
    }

    static func multiply(_ a: [Double], _ b: [Double], _ n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { for k in 0..<n { c[i * n + j] += a[i * n + k] * b[k * n + j] } } }
        return c
    }

    @Test("full rank: the inverse")
    func fullRank() {
        var solver = PseudoInverseSolver(size: 2)
        let inverse: [Double] = [2.0 / 3, -1.0 / 3, -1.0 / 3, 2.0 / 3]
        #expect(Self.close(solver.pseudoInverse([2, 1, 1, 2]), inverse))
        #expect(Self.close(solver.solve([2, 1, 1, 2], [3, 3]), [1, 1]))
        var three = PseudoInverseSolver(size: 3)
        // The notebook's example: one sample per basis context.
        #expect(Self.close(three.solve([1, 0, 0, 0, 1, 0, 0, 0, 1], [0.6, 0.9, 1.3]), [0.6, 0.9, 1.3]))
    }

    @Test("rank deficient: the minimum-norm solution")
    func rankDeficient() {
        var solver = PseudoInverseSolver(size: 2)
        // [[1,1],[1,1]] = 2·uuᵀ with u = (1,1)/√2, so pinv = uuᵀ/2 = [[1,1],[1,1]]/4.
        #expect(Self.close(solver.pseudoInverse([1, 1, 1, 1]), [0.25, 0.25, 0.25, 0.25]))
        // One sample x = (1,1,0) with reward 2: β = x·2/|x|² = (1,1,0).
        var three = PseudoInverseSolver(size: 3)
        #expect(Self.close(three.solve([1, 1, 0, 1, 1, 0, 0, 0, 0], [2, 2, 0]), [1, 1, 0]))
        // Features 0 and 2 always equal: XᵀX = [[3,1,3],[1,1,1],[3,1,3]] from x=(1,0,1)×2 and (1,1,1).
        let a: [Double] = [3, 1, 3, 1, 1, 1, 3, 1, 3]
        let p = three.pseudoInverse(a)
        // The Moore–Penrose conditions: A A⁺ A = A, A⁺ A A⁺ = A⁺, both products symmetric.
        #expect(Self.close(Self.multiply(Self.multiply(a, p, 3), a, 3), a))
        #expect(Self.close(Self.multiply(Self.multiply(p, a, 3), p, 3), p))
        let ap = Self.multiply(a, p, 3)
        #expect(Self.close(ap, [ap[0], ap[3], ap[6], ap[1], ap[4], ap[7], ap[2], ap[5], ap[8]]))
        // The solution lies in the row space: its first and last coefficients are equal.
        let beta = three.solve(a, [2 * 1.5 + 2.5, 2.5, 2 * 1.5 + 2.5])
        #expect(abs(beta[0] - beta[2]) < 1e-12)
        let predictions: [Double] = [beta[0] + beta[2], beta[0] + beta[1] + beta[2]]
        #expect(Self.close(predictions, [1.5, 2.5]))
    }

    @Test("zero matrix: zeros")
    func zero() {
        var solver = PseudoInverseSolver(size: 4)
        #expect(solver.pseudoInverse([Double](repeating: 0, count: 16)) == [Double](repeating: 0, count: 16))
        #expect(solver.solve([Double](repeating: 0, count: 16), [1, 2, 3, 4]) == [0, 0, 0, 0])
    }

    @Test("random binary designs, full rank or not: Moore–Penrose conditions hold")
    func randomDesigns() {
        var rng = Xoshiro256(seed: 3)
        for trial in 0..<300 {
            let d = 2 + trial % 7
            let n = 1 + rng.nextInt(below: 3 * d)
            var a = [Double](repeating: 0, count: d * d)
            for _ in 0..<n {
                let x = rng.nextContext(features: d)
                for i in 0..<d where x >> UInt64(i) & 1 == 1 {
                    for j in 0..<d where x >> UInt64(j) & 1 == 1 { a[i * d + j] += 1 }
                }
            }
            var solver = PseudoInverseSolver(size: d)
            let p = solver.pseudoInverse(a)
            #expect(Self.close(Self.multiply(Self.multiply(a, p, d), a, d), a, 1e-9), "trial \(trial)")
            #expect(Self.close(Self.multiply(Self.multiply(p, a, d), p, d), p, 1e-9), "trial \(trial)")
            // The solve path (Cholesky or eigen) agrees with pinv·b.
            let b = (0..<d).map { Double($0) + 0.5 }
            var expected = [Double](repeating: 0, count: d)
            for i in 0..<d { for j in 0..<d { expected[i] += p[i * d + j] * b[j] } }
            #expect(Self.close(solver.solve(a, b), expected, 1e-8), "trial \(trial)")
        }
    }

    @Test("distinct binary rows: Pᵀ(PPᵀ)⁻¹ȳ equals pinv(XᵀX)·Xᵀy, and dependent rows are refused")
    func independentRows() {
        var rng = Xoshiro256(seed: 11)
        var solvedCount = 0
        for trial in 0..<400 {
            let d = 2 + trial % 9
            let m = 1 + rng.nextInt(below: d)
            var rows: [UInt64] = []
            while rows.count < m {
                let x = rng.nextContext(features: d)
                if !rows.contains(x) { rows.append(x) }
            }
            // Each row drawn 1…4 times with its own rewards: XᵀX and Xᵀy, and the rows' mean rewards.
            var a = [Double](repeating: 0, count: d * d), b = [Double](repeating: 0, count: d), means: [Double] = []
            for x in rows {
                let times = 1 + rng.nextInt(below: 4)
                var sum = 0.0
                for _ in 0..<times {
                    let y = 0.5 + rng.nextDouble()
                    sum += y
                    for i in 0..<d where x >> UInt64(i) & 1 == 1 {
                        b[i] += y
                        for j in 0..<d where x >> UInt64(j) & 1 == 1 { a[i * d + j] += 1 }
                    }
                }
                means.append(sum / Double(times))
            }
            var solver = PseudoInverseSolver(size: d)
            let expected = solver.solve(a, b)
            var beta = [Double](repeating: .nan, count: d)
            var out = beta.mutableSpan
            let solved = solver.solveIndependentRows(rows.span, means: means.span, into: &out)
            // The same solution from the operator Pᵀ(PPᵀ)⁻¹ times the mean rewards.
            var op = [Double](repeating: .nan, count: d * m)
            var opSpan = op.mutableSpan
            let formed = solver.independentRowsOperator(rows.span, into: &opSpan)
            #expect(formed == solved, "trial \(trial)")
            if solved {
                solvedCount += 1
                #expect(Self.close(beta, expected, 1e-10), "trial \(trial)")
                let product = (0..<d).map { j in (0..<m).reduce(0.0) { $0 + op[j * m + $1] * means[$1] } }
                #expect(Self.close(product, expected, 1e-10), "trial \(trial)")
            } else {
                #expect(beta.allSatisfy { $0.isNaN }, "trial \(trial): a refusal writes nothing")
            }
        }
        #expect(solvedCount > 300)
        // 1000, 1100, 1010, 1110 (constant first): the last is the second plus the third minus the first.
        var solver = PseudoInverseSolver(size: 4)
        let dependent: [UInt64] = [0b0001, 0b0011, 0b0101, 0b0111]
        var out = [Double](repeating: 0, count: 4)
        var outSpan = out.mutableSpan
        let means: [Double] = [1, 2, 3, 4]
        #expect(!solver.solveIndependentRows(dependent.span, means: means.span, into: &outSpan))
    }

    @Test("every solver path agrees with numpy's pinv computed the obvious way")
    func againstReference() {
        // Weighted binary designs as bootstrap resamples make them: full rank (Cholesky), exactly rank
        // deficient (pivoted Cholesky), or rows few and independent (P·Pᵀ).
        var rng = Xoshiro256(seed: 21)
        var paths = (cholesky: 0, deficient: 0)
        for trial in 0..<400 {
            let d = 1 + trial % 12
            let distinct = 1 + rng.nextInt(below: 2 * d)
            var a = [Double](repeating: 0, count: d * d), b = [Double](repeating: 0, count: d)
            var rows: [UInt64] = [], means: [Double] = []
            for _ in 0..<distinct {
                let x = rng.nextContext(features: d), times = Double(1 + rng.nextInt(below: 3)), y = 0.5 + rng.nextDouble()
                if !rows.contains(x) { rows.append(x); means.append(y) } else { continue }
                for i in 0..<d where x >> UInt64(i) & 1 == 1 {
                    b[i] += times * y
                    for j in 0..<d where x >> UInt64(j) & 1 == 1 { a[i * d + j] += times }
                }
            }
            let matrix = (0..<d).map { Array(a[($0 * d)..<($0 * d + d)]) }
            let expected = ReferenceFit.multiply(ReferenceFit.pinv(matrix), b)
            let scale = max(1, expected.map(\.magnitude).max()!)
            var solver = PseudoInverseSolver(size: d)
            #expect(Self.close(solver.solve(a, b), expected, 1e-9 * scale), "trial \(trial)")
            if rows.count <= d {
                var beta = [Double](repeating: .nan, count: d)
                var out = beta.mutableSpan
                if solver.solveIndependentRows(rows.span, means: means.span, into: &out) {
                    #expect(Self.close(beta, expected, 1e-9 * scale), "trial \(trial): independent rows")
                }
            }
            let rank = ReferenceFit.symmetricEigen(matrix).values.filter { $0 > 1e-9 * Double(d) }.count
            if rank == d { paths.cholesky += 1 } else { paths.deficient += 1 }
        }
        #expect(paths.cholesky > 50 && paths.deficient > 50, "\(paths)")
    }

    @Test("pivots too small to trust and too large to discard go to the eigendecomposition")
    func doubtfulPivot() {
        // The second pivot of [[1, 1], [1, 1 + δ]] is δ/(1 + δ): between the ceiling and the floor.
        let delta = 3e-10
        #expect(delta > PseudoInverseSolver.rankDeficiencyCeiling && delta < PseudoInverseSolver.choleskyPivotFloor)
        let a = [1, 1, 1, 1 + delta], b = [1.0, 0]
        var solver = PseudoInverseSolver(size: 2)
        let x = solver.solve(a, b)
        // Both eigenvalues (about 2 and δ/2) are above numpy's cut-off, so β = A⁻¹b = ((1 + δ)/δ, −1/δ),
        // up to rounding amplified by κ(A) ≈ 1.3e10; dropping the small eigenvalue would give (¼, ¼).
        let inverse = [(1 + delta) / delta, -1 / delta]
        let expected = ReferenceFit.multiply(ReferenceFit.pinv([[1, 1], [1, 1 + delta]]), b)
        #expect(Self.close(x, inverse, 1e-4) && Self.close(x, expected, 1e-4), "\(x) vs \(expected)")
    }

    @Test("numpy's pairwise summation order")
    func pairwise() {
        // 1e16 + 1 + … loses each 1 when added one at a time, keeps some in 8 interleaved accumulators.
        var values = [1e16] + [Double](repeating: 1, count: 15)
        let sequential = values.reduce(0, +)
        #expect(sequential == 1e16)
        let pairwise = values.withUnsafeBufferPointer { pairwiseSum($0.baseAddress!, $0.count) }
        #expect(pairwise == 1e16 + 14)  // as numpy: r0 keeps 1e16, r1…r7 hold 2 each, combined as a tree
        values = [1, 2, 3]
        #expect(numpyMean(values) == 2)
    }
}
