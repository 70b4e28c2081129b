// The probability that one of several independent normal scores is the largest: lints's propensity.

import Foundation

/// P(S_a > S_b for every b ≠ a) for independent S_b ~ N(μ_b, σ_b²), σ_b > 0.
///
/// With z = (S_a − μ_a)/σ_a it is the one-dimensional integral
/// `∫ φ(z) · Π_{b≠a} Φ((μ_a + σ_a·z − μ_b)/σ_b) dz`, which has no closed form but is smooth and
/// bounded: adaptive Gauss–Kronrod (7/15 points, QUADPACK's rule) computes it to an absolute error
/// below 1e-13. The range starts where every competitor's factor exceeds Φ(−8.3) ≈ 5e-17 and ends
/// at z = 8.3, and competitors whose factor stays above 1 − 5e-17 over it are left out (each
/// shortcut changes the result by less than 1e-16 per competitor), so the rule spends its points
/// where the integrand lives.
enum NormalArgmax {
    /// |z| beyond this carries less than 1e-16 of the normal's mass.
    static let reach = 8.3
    /// Absolute error allowed over the whole range.
    static let tolerance = 1e-13

    /// The probability that post `a` has the largest score; `others` is scratch.
    static func probability(of a: Int, means: [Double], deviations: [Double], others: inout [Int]) -> Double {
        precondition(means.count == deviations.count && a < means.count)
        let mu = means[a], sigma = deviations[a]
        // Below z = (μ_b − μ_a − reach·σ_b)/σ_a competitor b's factor is under Φ(−reach) < 1e-16:
        // the integrand there is negligible, and the range starts at the highest such point.
        var lower = -reach
        for b in means.indices where b != a {
            lower = max(lower, (means[b] - mu - reach * deviations[b]) / sigma)
        }
        if lower >= reach { return 0 }
        // Competitors whose factor is above Φ(reach) > 1 − 1e-16 from there on never matter.
        others.removeAll(keepingCapacity: true)
        for b in means.indices where b != a && (mu - means[b] + sigma * lower) / deviations[b] < reach {
            others.append(b)
        }
        if others.isEmpty { return 1 }
        // Above z = (μ_b − μ_a + reach·σ_b)/σ_a competitor b's factor exceeds 1 − 5e-17: with the
        // competitors in decreasing order of that point, each node evaluates only those below it,
        // the strongest first (so that where a has no chance the product underflows at once).
        let top = { (b: Int) in (means[b] - mu + reach * deviations[b]) / sigma }
        others.sort { top($0) > top($1) }
        let tops = others.map(top)
        let integrand = { (z: Double) -> Double in
            var product = exp(-0.5 * z * z) * 0.398_942_280_401_432_7
            let s = mu + sigma * z
            for (index, b) in others.enumerated() {
                if tops[index] <= z { break }
                product *= 0.5 * erfc(-(s - means[b]) / deviations[b] * 0.707_106_781_186_547_6)
                if product < 1e-300 { return 0 }
            }
            return product
        }
        // A competitor much sharper than the normal (σ_b < σ_a/8) makes its factor a step of width
        // w = σ_b/σ_a < 1/8 at z = (μ_b − μ_a)/σ_a, which a rule's points can straddle without
        // seeing: the range is cut at the step and 8 widths either side, so one piece holds it whole.
        // Wider steps the rule resolves by bisection.
        var cuts = [lower, reach]
        for b in others where deviations[b] < sigma / 8 {
            let step = (means[b] - mu) / sigma, width = 8 * deviations[b] / sigma
            for cut in [step - width, step, step + width] where cut > lower && cut < reach { cuts.append(cut) }
        }
        cuts.sort()
        var total = 0.0
        for i in 0..<(cuts.count - 1) where cuts[i + 1] > cuts[i] {
            total += integrate(integrand, from: cuts[i], to: cuts[i + 1], share: (cuts[i + 1] - cuts[i]) / (reach - lower))
        }
        return min(1, max(0, total))
    }

    /// Adaptive Gauss–Kronrod over [lower, upper], which holds `share` of the whole range: intervals
    /// split in two until each one's error estimate is within its share of `tolerance`.
    private static func integrate(_ f: (Double) -> Double, from lower: Double, to upper: Double, share: Double) -> Double {
        var total = 0.0
        var pending = [(lower, upper, 0)]
        let width = upper - lower
        while let (a, b, depth) = pending.popLast() {
            let (value, error) = kronrod(f, a, b)
            if error <= tolerance * share * (b - a) / width || depth >= 40 {
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
