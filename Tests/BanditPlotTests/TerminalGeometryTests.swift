// Terminal charts read back cell by cell and checked against positions worked out from the data and the size.

import BanditPlot
import Testing

@Suite("Terminal chart geometry")
struct TerminalGeometryTests {
    static let zigzag: [Double] = [1.2, 1.55, 1.4, 1.8, 1.7, 1.95, 2.0]
    static let lineSpec = PlotSpec(title: "zigzag", series: [PlotSeries(label: "greedy", points: days(zigzag))])

    /// Renders and reads back; fails the test when the chart has no axes.
    static func read(_ spec: PlotSpec, width: Int, height: Int, color: Bool = false,
                     sourceLocation: SourceLocation = #_sourceLocation) throws -> (ChartReading, ExpectedTerminalScale) {
        let chart = TerminalPlot.render(spec, width: width, height: height, color: color)
        let reading = try #require(ChartReading(chart, width: width), "no axes in:\n\(chart)", sourceLocation: sourceLocation)
        return (reading, ExpectedTerminalScale(spec, plotColumns: reading.plotColumns, plotRows: reading.plotRows))
    }

    @Test("each day's point is a lit dot where the axis range puts it, and every lit dot lies on the polyline",
          arguments: [(62, 18), (40, 10), (120, 40)])
    func pointsLandOnTheirDots(size: (Int, Int)) throws {
        let (reading, scale) = try Self.read(Self.lineSpec, width: size.0, height: size.1)
        let expected = Self.zigzag.enumerated().map { scale.dot(x: Double($0.offset + 1), y: $0.element) }
        let lit = reading.litDots
        for (day, dot) in expected.enumerated() {
            #expect(lit.contains(dot), "day \(day + 1) should light dot \(dot)")
        }
        let stray = lit.filter { dot in !zip(expected, expected.dropFirst()).contains { distance(dot, toSegment: $0, $1) <= 0.75 } }
        #expect(stray.isEmpty, "dots off the polyline: \(stray.sorted { ($0.x, $0.y) < ($1.x, $1.y) })")
    }

    @Test("the band shades exactly the cells whose middle lies between mean − SE and mean + SE, column by column")
    func bandCoversItsRows() throws {
        let means = [1.2, 1.5, 1.65, 1.7, 1.9], halves = [0.15, 0.1, 0.12, 0.05, 0.08]
        let spec = PlotSpec(title: "band", series: [PlotSeries(label: "greedy", points: days(means), band: halves)])
        let (reading, scale) = try Self.read(spec, width: 64, height: 20)
        var shaded = 0
        for column in 0..<reading.plotColumns {
            let day = scale.x(atDotColumn: Double(column * 2) + 0.5)
            let mean = interpolated(means, atDay: day), half = interpolated(halves, atDay: day)
            for row in 0..<reading.plotRows {
                let middle = scale.y(atDotRow: Double(row * 4) + 1.5)
                // A middle within a hair of an edge may round either way: not a test of the band.
                guard abs(middle - (mean - half)) > 1e-9, abs(middle - (mean + half)) > 1e-9 else { continue }
                let inside = middle > mean - half && middle < mean + half
                let character = reading.plotCell(row: row, column: column).character
                if inside {
                    // The line is drawn over the band, so a shaded cell may show braille instead.
                    #expect(character == "░" || character.isBraille, "column \(column) row \(row) should be shaded, is \(character)")
                    shaded += character == "░" ? 1 : 0
                } else {
                    #expect(character != "░", "column \(column) row \(row) is shaded outside the band")
                }
            }
        }
        #expect(shaded > 20)
    }

    @Test("the reference is a dashed row where its value falls, with its label beside it, and nowhere else")
    func referenceIsDashedOnItsRow() throws {
        let spec = TerminalPlotTests.twoSeriesSpec
        let (reading, scale) = try Self.read(spec, width: 60, height: 16)
        let row = scale.row(ofY: 1.65)
        for r in 0..<reading.plotRows {
            let dashes = (0..<reading.plotColumns).filter { reading.plotCell(row: r, column: $0).character == "╌" }.count
            if r == row {
                #expect(dashes >= reading.plotColumns / 3, "row \(r) has only \(dashes) dashes")
            } else {
                #expect(dashes == 0, "row \(r) is dashed; the reference belongs on row \(row)")
            }
        }
        let near = (row - 1...row + 1).map { reading.text(row: reading.plotTop + $0) }
        #expect(near.contains { $0.contains("asymptote = 1.65") })
    }

    @Test("both series' points: bare braille dots for the first, the • marker in plain mode for the second")
    func twoSeriesPoints() throws {
        let spec = TerminalPlotTests.twoSeriesSpec
        let (reading, scale) = try Self.read(spec, width: 60, height: 16)
        let lit = reading.litDots
        for point in spec.series[0].points {
            let dot = scale.dot(x: point.x, y: point.y)
            let cell = reading.plotCell(row: dot.y / 4, column: dot.x / 2).character
            #expect(lit.contains(dot) || cell == "•", "greedy day \(point.x) should light \(dot)")
        }
        for point in spec.series[1].points {
            let dot = scale.dot(x: point.x, y: point.y)
            #expect(reading.plotCell(row: dot.y / 4, column: dot.x / 2).character == "•", "eps:0.1 day \(point.x) at \(dot)")
        }
    }

    @Test("in colour each series' points are drawn in its own palette colour, and the lit dots are the same as plain")
    func seriesColours() throws {
        let spec = PlotSpec(title: "colours", series: [
            PlotSeries(label: "greedy", points: days([1.0, 1.1, 1.15, 1.2, 1.25])),
            PlotSeries(label: "eps:0.1", points: days([1.5, 1.55, 1.6, 1.62, 1.65])),
            PlotSeries(label: "ts:30", points: days([1.9, 1.95, 2.0, 2.05, 2.1])),
        ])
        let (coloured, scale) = try Self.read(spec, width: 80, height: 24, color: true)
        // The xterm-256 colours nearest to matplotlib's tab10 blue, orange and green.
        for (series, color) in zip(spec.series, [31, 208, 34]) {
            for point in series.points {
                let dot = scale.dot(x: point.x, y: point.y)
                let cell = coloured.plotCell(row: dot.y / 4, column: dot.x / 2)
                #expect(cell.color == color && cell.character.isBraille, "\(series.label) day \(point.x): \(cell)")
            }
        }
        // Plain mode draws the same dots, except in the cells its markers take.
        let (plain, _) = try Self.read(spec, width: 80, height: 24, color: false)
        let hidden = coloured.litDots.subtracting(plain.litDots)
        #expect(plain.litDots.isSubset(of: coloured.litDots))
        #expect(hidden.allSatisfy { ["•", "+"].contains(plain.plotCell(row: $0.y / 4, column: $0.x / 2).character) })
    }

    @Test("y tick labels sit on the rows of their values; x tick labels are centred under the ┬ of their day")
    func axisLabels() throws {
        let (reading, scale) = try Self.read(GoldenSpecs.liveRun, width: 80, height: 24)
        var yLabels: [(row: Int, value: Double)] = []
        for row in 0..<reading.plotRows {
            let screenRow = reading.plotTop + row
            let axis = reading.character(row: screenRow, column: reading.axisColumn)
            let label = reading.words(row: screenRow, before: reading.axisColumn).first?.text
            #expect((axis == "┤") == (label != nil), "row \(row): axis \(axis) beside \(label ?? "nothing")")
            if let value = label.flatMap(Double.init) { yLabels.append((row, value)) }
        }
        #expect(yLabels.count >= 3)
        for (row, value) in yLabels { #expect(scale.row(ofY: value) == row, "label \(value) on row \(row)") }
        let steps = zip(yLabels, yLabels.dropFirst()).map { $0.value - $1.value }
        #expect(steps.allSatisfy { abs($0 - steps[0]) < 1e-9 && $0 > 0 }, "uneven y ticks \(yLabels)")

        let xLabels = reading.words(row: reading.axisRow + 1)
        #expect(xLabels.count >= 4)
        for (start, label) in xLabels {
            let day = try #require(Double(label))
            let column = reading.plotLeft + scale.column(ofX: day)
            // Centred, unless that would run past the screen's right edge.
            let centred = min(column - (label.count - 1) / 2, reading.width - label.count)
            #expect(start == centred, "label \(label) at \(start), tick for day \(day) at \(column)")
            #expect(reading.character(row: reading.axisRow, column: column) == "┬", "no tick above \(label)")
        }
        let ticks = (0..<reading.width).filter { reading.character(row: reading.axisRow, column: $0) == "┬" }
        #expect(ticks.count == xLabels.count, "a tick without a label, or a label without a tick")
    }

    @Test("titles are centred, the y title heads the axis, and the legend names every series under the plot")
    func titlesAndLegend() throws {
        let (reading, _) = try Self.read(TerminalPlotTests.twoSeriesSpec, width: 60, height: 16)
        let title = reading.text(row: 0)
        let lead = title.prefix { $0 == " " }.count, text = title.dropFirst(lead)
        #expect(text == "snapshot — 2 policies × 5 days")
        #expect(abs(lead - (60 - lead - text.count)) <= 1, "title not centred: \(lead) blanks before")
        #expect(reading.text(row: 1) == "mean viewing time")
        #expect(reading.plotTop == 2)
        let xTitle = try #require(reading.words(row: reading.axisRow + 2).first)
        let leftGap = xTitle.start - reading.plotLeft, rightGap = reading.plotColumns - xTitle.text.count - leftGap
        #expect(xTitle.text == "day" && abs(leftGap - rightGap) <= 1, "x title \(xTitle) not centred under the plot")
        let legend = reading.text(row: reading.rows.count - 1)
        #expect(legend == String(repeating: " ", count: reading.plotLeft) + "⠒⠒⠒ greedy   ⠒•⠒ eps:0.1   ░░ ±1 SE")
        #expect(reading.rows.count == 16)
    }
}

extension Character {
    var isBraille: Bool { unicodeScalars.first.map { (0x2801...0x28FF).contains($0.value) } ?? false }
}
