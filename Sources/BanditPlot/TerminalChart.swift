// One terminal render: the plot area, then the axes, titles and legend around it, drawn into a `Screen`.

/// One render: the layout worked out from the spec and size, then drawn into a `Screen`.
struct TerminalChart {
    let spec: PlotSpec
    let color: Bool
    let runs: [[[Sample]]]
    let extent: Extent
    let layout: TerminalLayout

    init(spec: PlotSpec, width: Int, height: Int, color: Bool) {
        self.spec = spec
        self.color = color
        runs = spec.cleanedRuns
        extent = spec.extent(of: runs)
        layout = TerminalLayout(spec: spec, extent: extent, width: width, height: height)
    }

    func render() -> String {
        var screen = Screen(width: layout.width, height: layout.height)
        var area = PlotArea(layout: layout)
        area.shadeBands(of: spec, runs: runs)
        area.markReferences(of: spec)
        area.drawSeries(runs, markers: !color)
        area.paint(on: &screen)
        area.labelReferences(of: spec, on: &screen)
        if !extent.hasData { writeNoData(on: &screen) }
        drawYAxis(on: &screen)
        drawXAxis(on: &screen)
        writeTitles(on: &screen)
        if layout.legendRows == 1 { drawLegend(on: &screen) }
        return screen.serialized(color: color)
    }

    /// "no data" in the middle of an empty plot.
    private func writeNoData(on screen: inout Screen) {
        let note = "no data"
        let column = layout.plotLeft + max((layout.plotColumns - note.count) / 2, 0)
        screen.write(note, row: layout.plotTop + layout.plotRows / 2, column: column, limit: layout.width)
    }

    /// The y axis line, with a ┤ and a right-aligned label at each tick's row.
    private func drawYAxis(on screen: inout Screen) {
        var tickRows: [Int: String] = [:]
        for (value, label) in zip(layout.yTicks.values, layout.yLabels) { tickRows[layout.row(ofY: value)] = label }
        for row in 0..<layout.plotRows {
            if let label = tickRows[row] {
                screen.write(label, row: layout.plotTop + row, column: layout.labelWidth - Screen.columns(of: label))
                screen.set("┤", row: layout.plotTop + row, column: layout.axisColumn)
            } else {
                screen.set("│", row: layout.plotTop + row, column: layout.axisColumn)
            }
        }
    }

    /// The x axis: ticks on whole days, labels centred under them and skipped where they would collide.
    private func drawXAxis(on screen: inout Screen) {
        let (row, width) = (layout.axisRow, layout.width)
        screen.set("└", row: row, column: layout.axisColumn)
        for column in layout.plotLeft..<width { screen.set("─", row: row, column: column) }
        var freeFrom = 0
        for (value, label) in zip(xTicks.values, xTicks.labels) {
            let column = layout.plotLeft + layout.column(ofX: value)
            screen.set("┬", row: row, column: column)
            let span = Screen.columns(of: label)
            let start = min(max(column - (span - 1) / 2, 0), width - span)
            guard start >= freeFrom else { continue }
            screen.write(label, row: row + 1, column: start)
            freeFrom = start + span + 1
        }
    }

    /// Whole days at least the widest end label plus three blanks apart.
    private var xTicks: Ticks {
        let (low, high) = (layout.xLow, layout.xHigh)
        let sampleLabel = max(formatFixed(low, decimals: 0).count, formatFixed(high, decimals: 0).count)
        let minimumStep = (high - low) * Double(sampleLabel + 3) / Double(layout.plotColumns)
        return Ticks.inside(low, high, minimumStep: minimumStep, integral: true)
    }

    /// The title centred on the first row, the y title above the axis, the x title centred under the plot.
    private func writeTitles(on screen: inout Screen) {
        let width = layout.width
        if layout.titleRows == 1 {
            let text = Screen.truncated(spec.title, to: width)
            screen.write(text, row: 0, column: max((width - Screen.columns(of: text)) / 2, 0))
        }
        if layout.yTitleRows == 1 {
            screen.write(Screen.truncated(spec.yLabel, to: width), row: layout.titleRows, column: 0)
        }
        if layout.xTitleRows == 1 {
            let text = Screen.truncated(spec.xLabel, to: layout.plotColumns)
            let column = layout.plotLeft + max((layout.plotColumns - Screen.columns(of: text)) / 2, 0)
            screen.write(text, row: layout.axisRow + 2, column: column)
        }
    }

    /// The last row: a sample of each series' line (with its plain-mode marker), then the band's meaning.
    /// It starts under the plot when it fits there; one wider than the terminal is cut, and says so.
    private func drawLegend(on screen: inout Screen) {
        let entries = legendEntries
        let total = entries.reduce(0) { $0 + Screen.columns(of: $1.sample) + 1 + Screen.columns(of: $1.label) + 3 } - 3
        let row = layout.height - 1
        var column = total <= layout.plotColumns ? layout.plotLeft : 0
        for (offset, entry) in entries.enumerated() {
            if offset > 0 { column += 3 }
            column = screen.write(entry.sample, row: row, column: column, color: entry.color)
            column = screen.write(" " + entry.label, row: row, column: column)
        }
        if total > layout.width { screen.set("…", row: row, column: layout.width - 1) }
    }

    private var legendEntries: [(sample: String, label: String, color: Int?)] {
        var entries: [(sample: String, label: String, color: Int?)] = []
        for (index, series) in spec.series.enumerated() {
            let sample = TerminalStyle.marker(ofSeries: index).map { color ? "⠒⠒⠒" : "⠒\($0)⠒" } ?? "⠒⠒⠒"
            entries.append((sample, series.label, TerminalStyle.color(ofSeries: index)))
        }
        if spec.series.contains(where: \.hasBand) { entries.append(("░░", spec.bandLabel, nil)) }
        return entries
    }
}
