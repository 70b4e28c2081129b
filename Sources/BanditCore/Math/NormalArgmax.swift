// The probability that one of several independent normal scores is the largest: lints's propensity.

import Foundation

/// P(S_a > S_b for every b ≠ a) for independent S_b ~ N(μ_b, σ_b²), σ_b > 0.
///
/// With z = (S_a − μ_a)/σ_a it is the one-dimensional integral
/// `∫ φ(z) · Π_{b≠a} Φ((μ_a + σ_a·z − μ_b)/σ_b) dz`, which has no closed form but is smooth and
/// bounded: adaptive Gauss–Kronrod (7/15 points, QUADPACK's rule) computes it to an absolute error
/// below 1e-13. Competitors whose factor stays above 1 − 1e-17 over the range are left out, and
/// the range starts where the product can first exceed 1e-300, so the rule spends its points where
/// the integrand lives.
enum NormalArgmax {
    /// |z| beyond this carries less than 1e-16 of the normal's mass.
    static let reach = 8.3
    /// Absolute error allowed over the whole range.
    static let tolerance = 1e-13

    /// The probability that post `a` has the largest score; `others` is scratch.
    static func probability(of a: Int, means: [Double], deviations: [Double], others: inout [Int]) -> Double {
        precondition(means.count == deviations.count && a < means.count)
        let mu = means[a], sigma = deviations[a]
        others.removeAll(keepingCapacity: true)
        var lower = -reach
        for b in means.indices where b != a {
            // Φ((μ_a − μ_b + σ_a·z)/σ_b) at the bottom of the range: ≈ 1, the factor never matters.
            if (mu - means[b] - sigma * reach) / deviations[b] >= 8.5 { continue }
            others.append(b)
            // Below z = (μ_b − μ_a − 38·σ_b)/σ_a the factor is under Φ(−38) < 1e-300.
            lower = max(lower, (means[b] - mu - 38 * deviations[b]) / sigma)
        }
        if others.isEmpty { return 1 }
        if lower >= reach { return 0 }
        let integrand = { (z: Double) -> Double in
            var product = exp(-0.5 * z * z) * 0.398_942_280_401_432_7
            let s = mu + sigma * z
            for b in others {
                product *= 0.5 * erfc(-(s - means[b]) / deviations[b] * 0.707_106_781_186_547_6)
                if product == 0 { break }
            }
            return product
        }
        return min(1, max(0, integrate(integrand, from: lower, to: reach)))
    }

    /// Adaptive Gauss–Kronrod over [lower, upper]: intervals split in two until each one's error
    /// estimate is within its share of `tolerance`.
    private static func integrate(_ f: (Double) -> Double, from lower: Double, to upper: Double) -> Double {
        var total = 0.0
        var pending = [(lower, upper, 0)]
        let width = upper - lower
        while let (a, b, depth) = pending.popLast() {
            let (value, error) = kronrod(f, a, b)
            if error <= tolerance * (b - a) / width || depth >= 40 {
                total += value
            } else {
                let middle = 0.5 * (a + b)
                pending.append((middle, b, depth + 1))
                pending.append((a, middle, depth + 1))
            }
        }
        return total
    }

    /// QUADPACK's 15-point Kronrod rule over [a, b], and |K15 − G7| as its error estimate.
    private static func kronrod(_ f: (Double) -> Double, _ a: Double, _ b: Double) -> (Double, Double) {
        let center = 0.5 * (a + b), half = 0.5 * (b - a)
        let fc = f(center)
        var kronrod = fc * kronrodWeights[7], gauss = fc * gaussWeights[3]
        for j in 0..<7 {
            let x = half * kronrodNodes[j]
            let sum = f(center - x) + f(center + x)
            kronrod += kronrodWeights[j] * sum
            if j % 2 == 1 { gauss += gaussWeights[j / 2] * sum }
        }
        return (kronrod * half, abs((kronrod - gauss) * half))
    }

    private static let kronrodNodes: [Double] = [
        0.991455371120812639206854697526329, 0.949107912342758524526189684047851, 0.864864423359769072789712788640926,
        0.741531185599394439863864773280788, 0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
        0.207784955007898467600689403773245, 0,
    ]
    private static let kronrodWeights: [Double] = [
        0.022935322010529224963732008058970, 0.063092092629978553290700663189204, 0.104790010322250183839876322541518,
        0.140653259715525918745189590510238, 0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
        0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
    ]
    /// The 7-point Gauss rule's weights at Kronrod nodes 1, 3, 5 and the center.
    private static let gaussWeights: [Double] = [
        0.129484966168869693270611432679082, 0.279705391489276667901467771423780, 0.381830050505118944950369775488975,
        0.417959183673469387755102040816327,
    ]
}
