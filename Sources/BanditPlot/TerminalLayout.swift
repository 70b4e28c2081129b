// Where a terminal chart's parts go: the rows each part takes, the y ticks, the plot's columns and the maps to dots.

/// The chart's geometry, worked out from the spec and the size before anything is drawn.
struct TerminalLayout {
    let width: Int
    let height: Int

    // Rows, top to bottom: title, y title, plot, x axis, x tick labels, x title, legend.
    // Each part but the plot takes one row when it has something to show, none otherwise.
    let titleRows: Int
    let yTitleRows: Int
    let xTitleRows: Int
    let legendRows: Int
    let plotTop: Int
    let plotRows: Int

    // Columns, left to right: y tick labels, the axis, the plot.
    let yTicks: Ticks
    /// The tick labels as shown, cut to a third of the width.
    let yLabels: [String]
    let labelWidth: Int
    let axisColumn: Int
    let plotLeft: Int
    let plotColumns: Int

    /// The days the x axis spans.
    let xLow: Double
    let xHigh: Double
    /// Data to braille dots: x from the first dot column to the last, y from the bottom dot row up to the top.
    let xMap: LinearMap
    let yMap: LinearMap

    init(spec: PlotSpec, extent: Extent, width: Int, height: Int) {
        self.width = width
        self.height = height
        titleRows = spec.title.isEmpty ? 0 : 1
        yTitleRows = spec.yLabel.isEmpty ? 0 : 1
        xTitleRows = spec.xLabel.isEmpty ? 0 : 1
        legendRows = spec.series.isEmpty ? 0 : 1
        plotTop = titleRows + yTitleRows
        plotRows = height - (titleRows + yTitleRows + 2 + xTitleRows + legendRows)

        let (ticks, yLow, yHigh) = Self.yAxis(extent: extent, plotRows: plotRows)
        yTicks = ticks
        yLabels = ticks.labels.map { Screen.truncated($0, to: width / 3) }
        labelWidth = yLabels.map { Screen.columns(of: $0) }.max() ?? 1
        axisColumn = labelWidth + 1
        plotLeft = axisColumn + 1
        plotColumns = width - plotLeft

        (xLow, xHigh) = dayRange(extent.xMin, extent.xMax)
        xMap = LinearMap(domain: (xLow, xHigh), range: (0, Double(plotColumns * 2 - 1)))
        yMap = LinearMap(domain: (yLow, yHigh), range: (Double(plotRows * 4 - 1), 0))
    }

    /// The screen row of the x axis, just below the plot.
    var axisRow: Int { plotTop + plotRows }

    /// The plot row a value falls in, kept inside the plot.
    func row(ofY value: Double) -> Int { min(max(yMap(value).clampedInt / 4, 0), plotRows - 1) }

    /// The plot column a value falls in, kept inside the plot.
    func column(ofX value: Double) -> Int { min(max(xMap(value).clampedInt / 2, 0), plotColumns - 1) }

    /// The y range and its ticks. Rows are scarce, so the axis spans the data plus a margin and the round
    /// ticks fall inside it, two and a half rows (ten dots) apart so labels never crowd; a very short plot
    /// settles for one row, and failing that the axis is widened to ticks that enclose the data.
    static func yAxis(extent: Extent, plotRows: Int) -> (ticks: Ticks, low: Double, high: Double) {
        let (low, high) = paddedRange(extent.yMin, extent.yMax, fraction: 0.04)
        let dotRows = Double(plotRows * 4 - 1)
        var ticks = Ticks.inside(low, high, minimumStep: (high - low) * 10 / dotRows, integral: false)
        if ticks.values.count < 2 {
            ticks = Ticks.inside(low, high, minimumStep: (high - low) * 4 / dotRows, integral: false)
        }
        if ticks.values.count < 2 {
            ticks = Ticks.covering(low, high, maxCount: plotRows / 2 + 1)
            return (ticks, ticks.lower, ticks.upper)
        }
        return (ticks, low, high)
    }
}
