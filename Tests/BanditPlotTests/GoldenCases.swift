// The specs and sizes whose rendered output is frozen under Golden/: each a file name and a renderer call.

import BanditPlot

/// One frozen output: the file it is compared with, and how to produce it.
struct GoldenCase: Sendable, CustomStringConvertible {
    let file: String
    let render: @Sendable () -> String

    var description: String { file }
}

/// Reproducible pseudo-random numbers (SplitMix64): a fixed seed, no global generator.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

enum GoldenSpecs {
    /// One policy over 14 days, rising from 1.2 to 2.0; no band, no reference.
    static let oneSeries = PlotSpec(title: "one policy — 14 days",
                                    series: [PlotSeries(label: "greedy", points: days(rising(1.2, 2.0, rate: 0.75)))])

    /// The same policy with its ±SE band.
    static let oneSeriesBand = PlotSpec(title: "one policy with its band",
                                        series: [PlotSeries(label: "greedy", points: days(rising(1.2, 2.0, rate: 0.75)),
                                                            band: (0..<14).map { 0.12 - 0.005 * Double($0) })])

    /// The notebook's three policies without bands, with an asymptote and a neutral oracle line.
    static let threeSeriesNoBands: PlotSpec = {
        var spec = notebookSpec
        spec.title = "three policies, no bands"
        for index in spec.series.indices { spec.series[index].band = nil }
        spec.references.append(ReferenceLine(y: 2.2, label: "oracle, expected viewing time = 2.20"))
        return spec
    }()

    /// The notebook as `plot` draws a comparison: three policies rising from about 1.2 to 2.0 over 14 days,
    /// each with its ±SE band and its own asymptote.
    static let notebookAsymptotes = PlotSpec(
        title: "experiment notebook: d=5, K=30, 10 runs × 14 days",
        series: [
            PlotSeries(label: "greedy", points: days(rising(1.2, 1.7, rate: 0.6)),
                       band: (0..<14).map { 0.09 - 0.003 * Double($0) }),
            PlotSeries(label: "eps:0.1", points: days(rising(1.18, 1.95, rate: 0.72)),
                       band: (0..<14).map { 0.06 - 0.002 * Double($0) }),
            PlotSeries(label: "ts:30", points: days(rising(1.22, 2.02, rate: 0.66)),
                       band: (0..<14).map { 0.07 - 0.002 * Double($0) }),
        ],
        references: [
            ReferenceLine(y: 1.7, label: "asymptote, mean viewing time = 1.70", series: 0),
            ReferenceLine(y: 1.95, label: "asymptote, mean viewing time = 1.95", series: 1),
            ReferenceLine(y: 2.02, label: "asymptote, mean viewing time = 2.02", series: 2),
        ]
    )

    /// A live run as `plot` draws it: one noisy series over 40 days and the oracle's value.
    static let liveRun: PlotSpec = {
        var random = SplitMix64(state: 0x11FE)
        let means = (0..<40).map { day in 2.3 - 1.1 * power(0.9, Double(day)) + (random.uniform() - 0.5) * 0.3 }
        return PlotSpec(title: "experiment demo: d=5, K=30, live run (ts:30)",
                        series: [PlotSeries(label: "ts:30", points: days(means))],
                        references: [ReferenceLine(y: 2.31, label: "oracle, expected viewing time = 2.31")])
    }()

    /// Random specs with NaN, infinities and huge values mixed in, as the fuzz test draws them.
    static func random(count: Int, seed: UInt64) -> [PlotSpec] {
        var random = SplitMix64(state: seed)
        let specials: [Double] = [.nan, .infinity, -.infinity, 0, 1e9, -1e-9]
        return (0..<count).map { _ in
            let series = (0..<Int(random.next() % 5)).map { index -> PlotSeries in
                let count = Int(random.next() % 20)
                let values = (0..<count).map { _ in
                    random.next() % 15 == 0 ? specials[Int(random.next() % 6)] : random.uniform() * 3
                }
                let band = random.next() % 3 == 0 ? nil : (0..<count).map { _ in random.uniform() * 0.3 }
                return PlotSeries(label: "s\(index)", points: days(values), band: band)
            }
            let references = (0..<Int(random.next() % 3)).map {
                ReferenceLine(y: random.uniform() * 3, label: "ref \($0)", series: Int(random.next() % 4))
            }
            return PlotSpec(title: "random", series: series, references: references)
        }
    }

    /// plateau − (plateau − start)·rateᵈ for days d = 0…13.
    static func rising(_ start: Double, _ plateau: Double, rate: Double) -> [Double] {
        (0..<14).map { day in plateau - (plateau - start) * power(rate, Double(day)) }
    }

    /// xⁿ by repeated multiplication: exact enough and the same on every platform.
    static func power(_ x: Double, _ n: Double) -> Double {
        var result = 1.0
        for _ in 0..<Int(n) { result *= x }
        return result
    }
}

enum GoldenCases {
    static let named: [(String, PlotSpec)] = [
        ("notebook", notebookSpec), ("two-series", TerminalPlotTests.twoSeriesSpec),
        ("one-series", GoldenSpecs.oneSeries), ("one-series-band", GoldenSpecs.oneSeriesBand),
        ("three-no-bands", GoldenSpecs.threeSeriesNoBands), ("live-run", GoldenSpecs.liveRun),
        ("notebook-asymptotes", GoldenSpecs.notebookAsymptotes),
    ]

    /// A file-name-safe version of a degenerate case's name.
    static func slug(_ name: String) -> String {
        String(name.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }

    static func terminal(_ name: String, _ spec: PlotSpec, _ width: Int, _ height: Int, color: Bool) -> GoldenCase {
        GoldenCase(file: "terminal-\(name)-\(width)x\(height)-\(color ? "colour" : "plain").txt") {
            TerminalPlot.render(spec, width: width, height: height, color: color)
        }
    }

    static func svg(_ name: String, _ spec: PlotSpec, _ width: Int, _ height: Int) -> GoldenCase {
        GoldenCase(file: "svg-\(name)-\(width)x\(height).svg") { SVGPlot.render(spec, width: width, height: height) }
    }

    static let terminalCases: [GoldenCase] = {
        var cases: [GoldenCase] = []
        for (width, height, color) in [(100, 30, true), (100, 30, false), (80, 24, true), (80, 24, false),
                                       (60, 16, false), (30, 8, true), (30, 8, false), (31, 9, false),
                                       (200, 50, true), (120, 12, false), (29, 16, true), (10, 3, false)] {
            cases.append(terminal("notebook", notebookSpec, width, height, color: color))
        }
        for (name, spec) in named.dropFirst() {
            cases.append(terminal(name, spec, 80, 24, color: false))
            cases.append(terminal(name, spec, 80, 24, color: true))
        }
        cases.append(terminal("two-series", TerminalPlotTests.twoSeriesSpec, 60, 16, color: false))
        for (name, spec) in TerminalPlotTests.degenerate {
            cases.append(terminal("degenerate-" + slug(name), spec, 60, 16, color: false))
            cases.append(terminal("degenerate-" + slug(name), spec, 31, 9, color: true))
        }
        cases.append(GoldenCase(file: "terminal-random-100.txt") {
            var random = SplitMix64(state: 0x5EED)
            return GoldenSpecs.random(count: 100, seed: 0xF00D).map { spec in
                let width = 30 + Int(random.next() % 100), height = 8 + Int(random.next() % 30)
                let color = random.next() % 2 == 0
                return "=== \(width)x\(height) \(color ? "colour" : "plain")\n"
                    + TerminalPlot.render(spec, width: width, height: height, color: color) + "\n"
            }.joined()
        })
        return cases
    }()

    static let svgCases: [GoldenCase] = {
        var cases: [GoldenCase] = []
        for (width, height) in [(800, 520), (400, 300), (1, -5), (1200, 400)] {
            cases.append(svg("notebook", notebookSpec, width, height))
        }
        for (name, spec) in named.dropFirst() { cases.append(svg(name, spec, 800, 520)) }
        for (name, spec) in TerminalPlotTests.degenerate {
            cases.append(svg("degenerate-" + slug(name), spec, 800, 520))
            cases.append(svg("degenerate-" + slug(name), spec, 300, 200))
        }
        cases.append(GoldenCase(file: "svg-random-20.svg.txt") {
            GoldenSpecs.random(count: 20, seed: 0xBEEF).enumerated().map { index, spec in
                "=== \(index)\n" + SVGPlot.render(spec, width: 300 + 40 * index, height: 200 + 20 * index)
            }.joined()
        })
        return cases
    }()

    static let all = terminalCases + svgCases
}
