// SVG figures read back: every coordinate checked against the data mapped through axes worked out in the test.

import BanditPlot
import Testing

/// The mapping an SVG figure promises, from its frame and its y tick labels: x spans the first to the last day
/// widened by 4 % of that span either side; y spans the lowest to the highest labelled tick.
struct ExpectedSVGScale {
    let left: Double, top: Double, right: Double, bottom: Double
    let xLow: Double, xHigh: Double
    let yLow: Double, yHigh: Double

    init(frame: ParsedSVG.Element, firstDay: Double, lastDay: Double, yTicks: [Double]) throws {
        left = try #require(frame.number("x"))
        top = try #require(frame.number("y"))
        right = left + (try #require(frame.number("width")))
        bottom = top + (try #require(frame.number("height")))
        let margin = (lastDay - firstDay) * 0.04
        (xLow, xHigh) = (firstDay - margin, lastDay + margin)
        (yLow, yHigh) = (try #require(yTicks.min()), try #require(yTicks.max()))
    }

    func x(_ day: Double) -> Double { left + (day - xLow) / (xHigh - xLow) * (right - left) }
    func y(_ value: Double) -> Double { bottom - (value - yLow) / (yHigh - yLow) * (bottom - top) }
}

/// Coordinates are written with two decimals: anything within a hundredth is the same pixel position.
func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 0.01 }

@Suite("SVG figure geometry")
struct SVGGeometryTests {
    static let figures: [(name: String, spec: PlotSpec, width: Int, height: Int)] = [
        ("notebook", notebookSpec, 800, 520), ("notebook, wide", notebookSpec, 1200, 400),
        ("three asymptotes", GoldenSpecs.notebookAsymptotes, 800, 520), ("live run", GoldenSpecs.liveRun, 800, 520),
        ("one band, small", GoldenSpecs.oneSeriesBand, 400, 300), ("no bands", GoldenSpecs.threeSeriesNoBands, 640, 480),
    ]

    /// The parsed figure and the scale its frame and y labels promise; also checks those labels are sound ticks.
    static func read(_ index: Int, sourceLocation: SourceLocation = #_sourceLocation) throws -> (ParsedSVG, ExpectedSVGScale) {
        let figure = figures[index]
        let document = try #require(ParsedSVG.parse(SVGPlot.render(figure.spec, width: figure.width, height: figure.height)))
        let frame = try #require(document.all("rect", class: "frame").first)
        let labels = try #require(document.children("text", of: "tick-labels").first)
        let yTicks = labels.filter { $0.attributes["text-anchor"] == "end" }.compactMap { Double($0.text) }
        let days = figure.spec.series.flatMap(\.points).map(\.x)
        let scale = try ExpectedSVGScale(frame: frame, firstDay: try #require(days.min()), lastDay: try #require(days.max()),
                                         yTicks: yTicks)
        return (document, scale)
    }

    @Test("y tick labels are evenly spaced round numbers enclosing the data within one step, each level with its tick",
          arguments: figures.indices)
    func yTicks(_ index: Int) throws {
        let (document, scale) = try Self.read(index)
        let labels = try #require(document.children("text", of: "tick-labels").first).filter { $0.attributes["text-anchor"] == "end" }
        let values = labels.compactMap { Double($0.text) }
        try #require(values.count >= 3 && values.count == labels.count)
        let step = values[1] - values[0]
        #expect(zip(values, values.dropFirst()).allSatisfy { close(($1 - $0) / step, 1) }, "uneven ticks \(values)")
        var decade = 1.0
        while decade * 10 <= step { decade *= 10 }
        while decade > step { decade /= 10 }
        #expect([1.0, 2, 5, 10].contains { close(step / decade, $0) }, "step \(step) is not 1, 2 or 5 × 10ⁿ")

        let spec = Self.figures[index].spec
        var drawn = spec.references.map(\.y)
        for series in spec.series {
            for (i, point) in series.points.enumerated() { drawn += [point.y - (series.band?[i] ?? 0), point.y + (series.band?[i] ?? 0)] }
        }
        let (low, high) = (drawn.min()!, drawn.max()!)
        #expect(scale.yLow <= low && scale.yLow > low - step, "first tick \(scale.yLow) for data from \(low)")
        #expect(scale.yHigh >= high && scale.yHigh < high + step, "last tick \(scale.yHigh) for data up to \(high)")

        let tickLines = try #require(document.children("line", of: "ticks").first).filter { close($0.number("x2") ?? -1, scale.left) }
        #expect(tickLines.map { $0.number("y1") ?? .nan }.elementsEqual(values.map(scale.y), by: close))
        for (label, value) in zip(labels, values) { #expect(close(label.number("y") ?? .nan, scale.y(value) + 4.5)) }
    }

    @Test("x tick labels are whole days, evenly spaced, each centred on its tick at the day's position",
          arguments: figures.indices)
    func xTicks(_ index: Int) throws {
        let (document, scale) = try Self.read(index)
        let labels = try #require(document.children("text", of: "tick-labels").first).filter { $0.attributes["text-anchor"] == "middle" }
        let days = labels.compactMap { Int($0.text) }.map(Double.init)
        try #require(days.count >= 2 && days.count == labels.count)
        #expect(days.allSatisfy { $0 >= scale.xLow && $0 <= scale.xHigh })
        #expect(Set(zip(days, days.dropFirst()).map { $1 - $0 }).count == 1, "uneven days \(days)")
        for (label, day) in zip(labels, days) { #expect(close(label.number("x") ?? .nan, scale.x(day)), "day \(day)") }
        let tickLines = try #require(document.children("line", of: "ticks").first).filter {
            close($0.number("y1") ?? -1, scale.bottom) && $0.number("x1") == $0.number("x2")
        }
        #expect(tickLines.map { $0.number("x1") ?? .nan }.elementsEqual(days.map(scale.x), by: close))
    }

    /// Each band runs along mean + SE, then back along mean − SE.
    @Test("each series' line, markers and band pass through its data mapped by the axes", arguments: figures.indices)
    func seriesAndBands(_ index: Int) throws {
        let spec = Self.figures[index].spec
        let (document, scale) = try Self.read(index)
        let lines = document.all("path", class: "series"), markers = document.children("circle", of: "markers")
        try #require(lines.count == spec.series.count && markers.count == spec.series.count)
        var bands = document.all("path", class: "band")[...]
        for (series, (line, circles)) in zip(spec.series, zip(lines, markers)) {
            let expected = series.points.map { (x: scale.x($0.x), y: scale.y($0.y)) }
            let drawn = coordinates(try #require(line.attributes["d"]))
            #expect(drawn.elementsEqual(expected) { close($0.x, $1.x) && close($0.y, $1.y) }, "\(series.label): \(drawn)")
            let centres = circles.map { (x: $0.number("cx") ?? .nan, y: $0.number("cy") ?? .nan) }
            #expect(centres.elementsEqual(expected) { close($0.x, $1.x) && close($0.y, $1.y) }, "\(series.label) markers")
            guard let halves = series.band else { continue }
            let band = coordinates(try #require(bands.popFirst()?.attributes["d"]))
            let upper = zip(series.points, halves).map { (x: scale.x($0.x), y: scale.y($0.y + $1)) }
            let lower = zip(series.points, halves).map { (x: scale.x($0.x), y: scale.y($0.y - $1)) }
            #expect(band.elementsEqual(upper + lower.reversed()) { close($0.x, $1.x) && close($0.y, $1.y) }, "\(series.label) band")
        }
        #expect(bands.isEmpty, "a band for a series without one")
    }

    @Test("each reference is a dashed line across the plot at its value, its label's arrow ending 2 px short of it",
          arguments: figures.indices)
    func references(_ index: Int) throws {
        let spec = Self.figures[index].spec
        let (document, scale) = try Self.read(index)
        let lines = document.all("line", class: "reference")
        try #require(lines.count == spec.references.count)
        for (reference, line) in zip(spec.references, lines) {
            #expect(close(line.number("y1") ?? .nan, scale.y(reference.y)) && close(line.number("y2") ?? .nan, scale.y(reference.y)))
            #expect(close(line.number("x1") ?? .nan, scale.left) && close(line.number("x2") ?? .nan, scale.right))
            #expect(line.attributes["stroke-dasharray"] == "6 4")
        }
        #expect(document.all("text", class: "reference-label").map(\.text) == spec.references.map(\.label))
        // Every arrow points at some reference line: its tip is 2 px off one of them.
        let tips = document.children("path", of: "reference-arrow").compactMap { $0.first?.attributes["d"] }.compactMap { coordinates($0).first }
        for tip in tips {
            #expect(spec.references.contains { close(abs(tip.y - scale.y($0.y)), 2) }, "arrow tip at \(tip) touches no line")
            #expect(tip.x >= scale.left && tip.x <= scale.right)
        }
    }

    @Test("a reference label too wide for the plot shrinks, then is cut with …, but starts and ends inside the plot",
          arguments: [("notebook", 400, 300), ("notebook", 240, 180), ("notebook", 800, 520),
                      ("long and wide labels", 800, 520), ("long and wide labels", 300, 200), ("wide reference over no data", 300, 200)])
    func referenceLabelsStayInside(name: String, width: Int, height: Int) throws {
        let spec = try #require(name == "notebook" ? notebookSpec : TerminalPlotTests.degenerate.first { $0.0 == name }?.1)
        let document = try #require(ParsedSVG.parse(SVGPlot.render(spec, width: width, height: height)))
        let frame = try #require(document.all("rect", class: "frame").first)
        let (left, right) = (frame.number("x")!, frame.number("x")! + frame.number("width")!)
        let labels = document.all("text", class: "reference-label")
        try #require(labels.count == spec.references.count)
        for (label, reference) in zip(labels, spec.references) {
            let x = try #require(label.number("x")), size = try #require(label.number("font-size"))
            // DejaVu Sans gives these labels at least 0.4 em a character ("ref " averages 0.42, only i, j, l and
            // the blank are narrower): a label that overflows by this count overflows on screen too.
            let least = 0.4 * size * Double(label.text.count)
            #expect(x >= left && x + least <= right, "\(label.text) from \(x) at \(size) px leaves \(left)...\(right)")
            #expect(size >= 9 && size <= 13)
            #expect(label.text == reference.label || (label.text.hasSuffix("…") && reference.label.hasPrefix(label.text.dropLast())))
        }
    }

    @Test("the legend lists every series in order with its colour, and hides no data point", arguments: figures.indices)
    func legend(_ index: Int) throws {
        let spec = Self.figures[index].spec
        let (document, _) = try Self.read(index)
        let legend = try #require(document.children("rect", of: "legend").first?.first)
        let texts = try #require(document.children("text", of: "legend").first)
        #expect(texts.map(\.text) == spec.series.map(\.label))
        let swatches = document.children("line", of: "swatch").compactMap(\.first)
        #expect(swatches.map { $0.attributes["stroke"] } == document.all("path", class: "series").map { $0.attributes["stroke"] })
        let box = (x: legend.number("x")!, y: legend.number("y")!, w: legend.number("width")!, h: legend.number("height")!)
        for circle in document.children("circle", of: "markers").joined() {
            let (x, y) = (circle.number("cx")!, circle.number("cy")!)
            #expect(!(x >= box.x && x <= box.x + box.w && y >= box.y && y <= box.y + box.h), "legend hides the point at \(x), \(y)")
        }
    }
}
