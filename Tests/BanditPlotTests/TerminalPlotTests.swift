// Terminal charts: exact sizing, colour versus plain output, what the chart carries, and degenerate inputs.

import BanditPlot
import Testing

/// Display columns of one output line: ANSI escapes take none, East Asian wide characters two, all else one.
func displayColumns(_ line: Substring) -> Int {
    var columns = 0
    var inEscape = false
    for scalar in line.unicodeScalars {
        if inEscape {
            if scalar == "m" { inEscape = false }
            continue
        }
        if scalar == "\u{1B}" { inEscape = true; continue }
        let wide: [ClosedRange<UInt32>] = [0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFF00...0xFF60]
        columns += wide.contains { $0.contains(scalar.value) } ? 2 : 1
    }
    return columns
}

/// Fails unless the chart has at most `height` lines, each at most `width` columns.
func expectFits(_ text: String, width: Int, height: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count <= height, "\(lines.count) lines for height \(height)", sourceLocation: sourceLocation)
    for line in lines {
        #expect(displayColumns(line) <= width, "too wide: \(line)", sourceLocation: sourceLocation)
    }
}

/// Points on days 1, 2, 3, …
func days(_ values: [Double]) -> [PlotPoint] {
    values.enumerated().map { PlotPoint(x: Double($0.offset + 1), y: $0.element) }
}

/// The notebook's three policies over 14 days with their standard errors and greedy's asymptote.
let notebookSpec: PlotSpec = {
    func rising(_ start: Double, _ plateau: Double, rate: Double) -> [Double] {
        (0..<14).map { day in
            var factor = 1.0
            for _ in 0..<day { factor *= rate }
            return plateau - (plateau - start) * factor
        }
    }
    return PlotSpec(
        title: "notebook — 5 features, 30 posts, 10 runs × 14 days",
        series: [
            PlotSeries(label: "greedy", points: days(rising(1.08, 1.67, rate: 0.6)), band: Array(repeating: 0.1, count: 14)),
            PlotSeries(label: "eps:0.1", points: days(rising(1.09, 2.04, rate: 0.7)), band: Array(repeating: 0.03, count: 14)),
            PlotSeries(label: "ts:30", points: days(rising(1.13, 2.07, rate: 0.65)), band: Array(repeating: 0.04, count: 14)),
        ],
        references: [ReferenceLine(y: 1.67, label: "asymptote, mean viewing time = 1.67", series: 0)]
    )
}()

@Suite("Terminal plot")
struct TerminalPlotTests {
    /// Two policies with bands and greedy's asymptote; TerminalGeometryTests reads its chart back cell by cell.
    static let twoSeriesSpec = PlotSpec(
        title: "snapshot — 2 policies × 5 days",
        series: [
            PlotSeries(label: "greedy", points: days([1.10, 1.40, 1.55, 1.62, 1.65]), band: [0.10, 0.09, 0.08, 0.08, 0.08]),
            PlotSeries(label: "eps:0.1", points: days([1.05, 1.50, 1.80, 1.95, 2.00]), band: [0.04, 0.04, 0.03, 0.03, 0.03]),
        ],
        references: [ReferenceLine(y: 1.65, label: "asymptote = 1.65", series: 0)]
    )

    @Test("colour mode uses ANSI escapes and resets them at line ends; plain mode has none",
          arguments: [(60, 16), (100, 30), (30, 8), (200, 50)])
    func colour(size: (Int, Int)) {
        let coloured = TerminalPlot.render(notebookSpec, width: size.0, height: size.1, color: true)
        let plain = TerminalPlot.render(notebookSpec, width: size.0, height: size.1, color: false)
        #expect(coloured.contains("\u{1B}[38;5;"))
        #expect(!plain.contains("\u{1B}"))
        // No colour may leak past a line's end: its last escape is a reset.
        for line in coloured.split(separator: "\n") {
            guard let last = line.ranges(of: "\u{1B}[").last else { continue }
            #expect(line[last.upperBound...].hasPrefix("0m"), "colour left on: \(line)")
        }
        expectFits(coloured, width: size.0, height: size.1)
        expectFits(plain, width: size.0, height: size.1)
        #expect(plain.split(separator: "\n", omittingEmptySubsequences: false).count == size.1)
    }

    @Test("the chart carries titles, tick values, braille lines, the band, the reference and a legend")
    func anatomy() {
        let chart = TerminalPlot.render(notebookSpec, width: 100, height: 30, color: false)
        for text in ["notebook", "mean viewing time", "day", "greedy", "eps:0.1", "ts:30", "±1 SE",
                     "asymptote, mean viewing time = 1.67", "╌", "░", "2.0", "14"] {
            #expect(chart.contains(text), "missing \(text)")
        }
        #expect(chart.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) })
        // Plain mode tells eps:0.1 and ts:30 apart by their markers.
        #expect(chart.contains("•") && chart.contains("+"))
    }

    static let degenerate: [(String, PlotSpec)] = [
        ("no series", PlotSpec(title: "empty", series: [])),
        ("no series, a reference", PlotSpec(title: "", series: [], references: [ReferenceLine(y: 2, label: "oracle")])),
        ("one point", PlotSpec(title: "one", series: [PlotSeries(label: "a", points: [PlotPoint(x: 1, y: 1.5)], band: [0.1])])),
        ("flat", PlotSpec(title: "flat", series: [PlotSeries(label: "a", points: days([2, 2, 2, 2]))],
                          references: [ReferenceLine(y: 2, label: "same")])),
        ("all zero", PlotSpec(title: "zero", series: [PlotSeries(label: "a", points: days([0, 0, 0]), band: [0, 0, 0])])),
        ("NaN and infinities", PlotSpec(title: "gaps", series: [
            PlotSeries(label: "a", points: days([1, .nan, 3, .infinity, 2, -.infinity]), band: [0.1, 0.1, .nan, 0.1, .infinity, 0.1]),
            PlotSeries(label: "b", points: [PlotPoint(x: .nan, y: 1), PlotPoint(x: 2, y: .nan)]),
        ], references: [ReferenceLine(y: .nan, label: "nowhere")])),
        ("only NaN", PlotSpec(title: "nan", series: [PlotSeries(label: "a", points: days([.nan, .nan]))])),
        ("mismatched band", PlotSpec(title: "band", series: [PlotSeries(label: "a", points: days([1, 2, 3]), band: [0.1])])),
        ("huge values", PlotSpec(title: "huge", series: [PlotSeries(label: "a", points: days([-1e300, 1e300]), band: [1e300, 1e300])])),
        ("tiny span", PlotSpec(title: "tiny", series: [PlotSeries(label: "a", points: days([1, 1 + 1e-12, 1]))])),
        ("out-of-range reference series", PlotSpec(title: "ref", series: [PlotSeries(label: "a", points: days([1, 2]))],
                                                   references: [ReferenceLine(y: 1.5, label: "x", series: 7),
                                                                ReferenceLine(y: 1.5, label: "y", series: -1)])),
        ("long and wide labels", PlotSpec(title: String(repeating: "長い題名 ", count: 30), xLabel: "日", yLabel: "平均",
                                          series: (0..<12).map { PlotSeries(label: "系列\($0) with a long name", points: days([Double($0), 1])) },
                                          references: [ReferenceLine(y: 0.5, label: String(repeating: "ref ", count: 50))])),
        ("wide reference over no data", PlotSpec(title: "", series: [],
                                                 references: [ReferenceLine(y: 0.5, label: "基準線の注記、基準線の注記")])),
        ("control characters", PlotSpec(title: "a\u{1B}[31mred\nnext", series: [PlotSeries(label: "tab\there", points: days([1, 2]))])),
    ]

    @Test("degenerate inputs render without crashing and still fit", arguments: degenerate.indices)
    func degenerateInputs(index: Int) {
        let (name, spec) = Self.degenerate[index]
        for (width, height) in [(30, 8), (60, 16), (100, 30), (31, 9)] {
            for color in [false, true] {
                let chart = TerminalPlot.render(spec, width: width, height: height, color: color)
                expectFits(chart, width: width, height: height)
                if !color { #expect(!chart.contains("\u{1B}"), "\(name): escape in plain output") }
            }
        }
    }

    @Test("random specs at random sizes always fit")
    func randomSpecs() {
        var random = SplitMix64(state: 0x5EED)
        for spec in GoldenSpecs.random(count: 200, seed: 0x5EED) {
            let width = 30 + Int(random.next() % 100), height = 8 + Int(random.next() % 30)
            let color = random.next() % 2 == 0
            expectFits(TerminalPlot.render(spec, width: width, height: height, color: color), width: width, height: height)
        }
    }

    @Test("no data is said in the plot area")
    func noData() {
        let chart = TerminalPlot.render(PlotSpec(title: "empty", series: []), width: 60, height: 16, color: false)
        #expect(chart.contains("no data"))
        #expect(chart.contains("└"))
    }

    @Test("too small a size gives a one-line note", arguments: [(29, 16), (60, 7), (10, 3), (1, 1)])
    func tooSmall(size: (Int, Int)) {
        let text = TerminalPlot.render(notebookSpec, width: size.0, height: size.1, color: true)
        #expect(!text.contains("\n"))
        #expect(!text.contains("\u{1B}"))
        expectFits(text, width: size.0, height: size.1)
    }

    @Test("zero or negative sizes give nothing")
    func empty() {
        #expect(TerminalPlot.render(notebookSpec, width: 0, height: 10, color: false) == "")
        #expect(TerminalPlot.render(notebookSpec, width: 80, height: -1, color: false) == "")
    }
}
