// Round-number axes for both renderers: 1-2-5 tick steps, padded ranges, number formatting, linear maps.

// Double.rounded() lowers to libm's round/floor/ceil; importing the C library autolinks libm, which a
// program that never imports Foundation would otherwise lack at link time on Linux.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A step on the 1-2-5 ladder, mantissa × 10^exponent, kept apart so tick values come out as clean decimals.
struct NiceStep: Equatable {
    /// 1, 2 or 5.
    var mantissa: Int
    var exponent: Int

    /// The smallest ladder step at least `raw` (which is brought into a range where doubles behave).
    init(atLeast raw: Double) {
        let raw = raw.isFinite ? min(max(raw, 1e-300), 1e300) : 1
        var exponent = 0
        while exponent > -300, powerOfTen(exponent) > raw { exponent -= 1 }
        while exponent < 300, powerOfTen(exponent + 1) <= raw { exponent += 1 }
        // Rounding noise in `raw` (0.2 arriving as 0.20000000000000004) must not push it a whole rung up.
        let target = raw * (1 - 1e-9)
        let decade = powerOfTen(exponent)
        if 1 * decade >= target {
            self.init(mantissa: 1, exponent: exponent)
        } else if 2 * decade >= target {
            self.init(mantissa: 2, exponent: exponent)
        } else if 5 * decade >= target {
            self.init(mantissa: 5, exponent: exponent)
        } else {
            self.init(mantissa: 1, exponent: exponent + 1)
        }
    }

    init(mantissa: Int, exponent: Int) {
        self.mantissa = mantissa
        self.exponent = exponent
    }

    /// The next rung up: 1 → 2 → 5 → 10.
    var next: NiceStep {
        switch mantissa {
        case 1: NiceStep(mantissa: 2, exponent: exponent)
        case 2: NiceStep(mantissa: 5, exponent: exponent)
        default: NiceStep(mantissa: 1, exponent: exponent + 1)
        }
    }

    var value: Double { multiple(1) }

    /// Decimals a label needs to show every multiple exactly.
    var decimals: Int { max(0, -exponent) }

    /// k steps from zero, divided rather than multiplied by a power of ten so 3 × 0.1 gives 0.3.
    func multiple(_ k: Double) -> Double {
        exponent >= 0
            ? k * Double(mantissa) * powerOfTen(exponent)
            : k * Double(mantissa) / powerOfTen(-exponent)
    }
}

/// Tick positions on round numbers and the decimals their labels need.
struct Ticks: Equatable {
    var values: [Double]
    var decimals: Int

    var labels: [String] { values.map { formatFixed($0, decimals: decimals) } }
    var lower: Double { values.first ?? 0 }
    var upper: Double { values.last ?? 1 }

    /// At most `maxCount` ticks whose outer ones enclose [lo, hi]: the axis is then extended to them.
    static func covering(_ lo: Double, _ hi: Double, maxCount: Int) -> Ticks {
        let (lo, hi) = usableRange(lo, hi)
        let count = max(2, maxCount)
        var step = NiceStep(atLeast: (hi - lo) / Double(count - 1))
        for _ in 0..<64 {
            let first = (lo / step.value + 1e-9).rounded(.down)
            let last = (hi / step.value - 1e-9).rounded(.up)
            if last - first + 1 <= Double(count) {
                let values = stride(from: first, through: last, by: 1).map { step.multiple($0) }
                if values.count >= 2 { return Ticks(values: values, decimals: step.decimals) }
                // A single rung means lo and hi sit on one tick: widen to its neighbours.
                return Ticks(values: [step.multiple(first - 1), step.multiple(first), step.multiple(first + 1)],
                             decimals: step.decimals)
            }
            step = step.next
        }
        return Ticks(values: [lo, hi], decimals: 2)
    }

    /// Ticks inside [lo, hi], at least `minimumStep` apart; `integral` keeps the step a whole number (days).
    static func inside(_ lo: Double, _ hi: Double, minimumStep: Double, integral: Bool) -> Ticks {
        let (lo, hi) = usableRange(lo, hi)
        // A step finer than a millionth of the span would only produce an unreadable crowd of ticks.
        let floor = (hi - lo) / 1e6
        let step = NiceStep(atLeast: max(minimumStep.isFinite ? minimumStep : 0, floor, integral ? 1 : 0))
        let first = (lo / step.value - 1e-9).rounded(.up)
        let last = (hi / step.value + 1e-9).rounded(.down)
        guard first <= last else {
            // No whole number falls inside a narrow range: label it with fractions instead.
            return integral ? inside(lo, hi, minimumStep: minimumStep, integral: false) : Ticks(values: [], decimals: 0)
        }
        return Ticks(values: stride(from: first, through: last, by: 1).map { step.multiple($0) }, decimals: step.decimals)
    }
}

/// A finite, non-empty range: flat data is padded (5 % of its value, or ±0.5 around zero) so it has a height.
func usableRange(_ lo: Double, _ hi: Double) -> (Double, Double) {
    guard lo.isFinite, hi.isFinite else { return (0, 1) }
    // Clamping keeps hi − lo finite for absurd inputs.
    let (low, high) = (min(lo, hi), max(lo, hi))
    var lo = min(max(low, -1e300), 1e300)
    var hi = min(max(high, -1e300), 1e300)
    let scale = max(abs(lo), abs(hi))
    // A span below a billionth of the values is flat for plotting: the ticks could not tell its ends apart.
    if hi - lo <= scale * 1e-9 {
        let middle = (lo + hi) / 2
        let pad = scale > 1e-300 ? scale * 0.05 : 0.5
        lo = middle - pad
        hi = middle + pad
    }
    return (lo, hi)
}

/// The range widened by `fraction` of its span on each side, like matplotlib's axes margins.
func paddedRange(_ lo: Double, _ hi: Double, fraction: Double) -> (Double, Double) {
    let (lo, hi) = usableRange(lo, hi)
    let margin = (hi - lo) * fraction
    return (lo - margin, hi + margin)
}

/// An affine map from a data interval onto a screen interval (which may run backwards, as SVG's y does).
struct LinearMap {
    var domain: (Double, Double)
    var range: (Double, Double)

    func callAsFunction(_ value: Double) -> Double {
        let span = domain.1 - domain.0
        guard span != 0, span.isFinite else { return (range.0 + range.1) / 2 }
        return range.0 + (value - domain.0) / span * (range.1 - range.0)
    }
}

/// 10^n for n ≥ 0, exact up to 10^22 and infinite past 10^308.
func powerOfTen(_ n: Int) -> Double {
    guard n >= 0 else { return 1 / powerOfTen(-n) }
    var result = 1.0
    for _ in 0..<min(n, 400) { result *= 10 }
    return result
}

/// `value` with exactly `decimals` decimals, "-0" shown as "0"; no Foundation, so no locale surprises.
func formatFixed(_ value: Double, decimals: Int) -> String {
    guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
    let decimals = min(max(decimals, 0), 12)
    let scaled = (abs(value) * powerOfTen(decimals)).rounded()
    // Beyond 2^53 integers stop being exact, and such numbers read better in scientific form anyway.
    guard scaled < 9e15 else { return formatScientific(value) }
    var digits = String(Int64(scaled))
    if decimals > 0 {
        if digits.count <= decimals { digits = String(repeating: "0", count: decimals + 1 - digits.count) + digits }
        digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -decimals))
    }
    return value < 0 && scaled != 0 ? "-" + digits : digits
}

/// `value` as a mantissa with at most two decimals and a power of ten, e.g. "-1.5e+300".
func formatScientific(_ value: Double) -> String {
    guard value.isFinite, value != 0 else { return formatFixed(value, decimals: 0) }
    var exponent = 0
    var mantissa = abs(value)
    while mantissa >= 10, exponent < 400 { mantissa /= 10; exponent += 1 }
    while mantissa < 1, exponent > -400 { mantissa *= 10; exponent -= 1 }
    var digits = formatFixed(mantissa, decimals: 2)
    while digits.hasSuffix("0") { digits.removeLast() }
    if digits.hasSuffix(".") { digits.removeLast() }
    return (value < 0 ? "-" : "") + digits + (exponent < 0 ? "e-" : "e+") + String(abs(exponent))
}

/// At most two decimals, trailing zeros dropped: compact coordinates for SVG.
func formatCompact(_ value: Double) -> String {
    var text = formatFixed(value, decimals: 2)
    guard text.contains("."), !text.contains("e") else { return text }
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text == "-0" ? "0" : text
}

extension Double {
    /// The nearest Int, with NaN as 0 and out-of-range values clamped instead of trapping.
    var clampedInt: Int {
        guard !isNaN else { return 0 }
        return Int(min(max(rounded(), -1e15), 1e15))
    }
}

/// The x range of days: the data's own span, or one day either side of a single day.
func dayRange(_ lo: Double, _ hi: Double) -> (Double, Double) {
    guard lo.isFinite, hi.isFinite else { return (0, 1) }
    return hi > lo ? usableRange(lo, hi) : (lo - 1, lo + 1)
}
