// Tables several commands show: a result's curve, the stored results side by side, their differences.

import BanditCore
import Foundation

enum Reports {
    static func curveTable(_ curve: Curve) -> Table {
        let rows = curve.mean.indices.map { day in
            [Cell.integer(day + 1), .number(curve.mean[day]), .number(curve.standardError[day])]
        }
        let asymptote = curve.asymptote.map { "asymptote (days \(Curve.asymptoteFirstDay)..\(curve.mean.count)): \(formatNumber($0))" }
        return Table(title: "\(curve.label): \(counted(curve.runs, "run"))", headers: ["day", "mean", "se"], rows: rows,
                     footer: asymptote.map { [$0] } ?? [])
    }

    /// Per day, each result's mean ± SE; then asymptotes and regret against the oracle.
    static func resultsTable(_ curves: [Curve], oracle: Double?) -> Table {
        let days = curves.map(\.mean.count).max() ?? 0
        let rows = (0..<days).map { day in
            [Cell.integer(day + 1)] + curves.map { c in
                day < c.mean.count ? .estimate(c.mean[day], c.standardError[day]) : .missing
            }
        }
        var footer: [String] = []
        for c in curves {
            var line = "\(c.label) (\(counted(c.runs, "run"))): asymptote \(c.asymptote.map(formatNumber) ?? "n/a (fewer than 5 days)")"
            if let oracle, let asymptote = c.asymptote { line += ", regret \(formatNumber(oracle - asymptote))" }
            footer.append(line)
        }
        return Table(title: "stored results: mean viewing time ± SE per day", headers: ["day"] + curves.map(\.label),
                     rows: rows, footer: footer)
    }

    /// For each pair of results, the difference of their final-day means with its standard error
    /// √(se₁² + se₂²), and whether it stands out of the noise (|difference| > 2 SE).
    static func finalDayDifferences(_ curves: [Curve]) -> Table {
        var rows: [[Cell]] = []
        for (i, a) in curves.enumerated() {
            for b in curves[(i + 1)...] {
                guard let ma = a.mean.last, let mb = b.mean.last, let sa = a.standardError.last, let sb = b.standardError.last else { continue }
                let difference = mb - ma, se = (sa * sa + sb * sb).squareRoot()
                let verdict = se > 0 && abs(difference) > 2 * se
                    ? "\(difference > 0 ? b.label : a.label) better (\(String(format: "%.1f", abs(difference) / se)) SE)"
                    : "within noise (\(se > 0 ? String(format: "%.1f", abs(difference) / se) : "—") SE)"
                rows.append(["\(b.label) − \(a.label)", .integer(min(a.mean.count, b.mean.count)), .number(difference), .number(se), .text(verdict)])
            }
        }
        return Table(title: "final-day differences (SE = √(se₁² + se₂²); runs taken as independent)",
                     headers: ["pair", "day", "difference", "se", "verdict"], alignments: [.left, .right, .right, .right, .left], rows: rows)
    }
}
