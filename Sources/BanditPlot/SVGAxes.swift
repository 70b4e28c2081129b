// The SVG figure's axes: the plot box inside the margins, the data-to-pixel maps, the ticks and the legend's size.

/// An axis-aligned box in SVG pixels, for layout and collision checks.
struct Box {
    var left: Double
    var top: Double
    var right: Double
    var bottom: Double

    func contains(_ x: Double, _ y: Double) -> Bool { x >= left && x <= right && y >= top && y <= bottom }
    func inset(by amount: Double) -> Box { Box(left: left + amount, top: top + amount, right: right - amount, bottom: bottom - amount) }
    func intersects(_ other: Box) -> Bool {
        left < other.right && other.left < right && top < other.bottom && other.top < bottom
    }
    func within(_ other: Box) -> Bool {
        left >= other.left && right <= other.right && top >= other.top && bottom <= other.bottom
    }
}

/// Where the axes sit and how data maps onto them, in pixels.
struct SVGAxes {
    var plot: Box
    var xMap: LinearMap
    var yMap: LinearMap
    var xTicks: Ticks
    var yTicks: Ticks
    /// The legend's box size, wherever it goes; beside the axes it narrows the plot by its width.
    var legendSize: (width: Double, height: Double)

    init(spec: PlotSpec, extent: Extent, width: Double, height: Double, legendOutside: Bool) {
        // Vertical layout first: the y ticks depend only on the plot's height, the left margin on their labels.
        let top = spec.title.isEmpty ? 20.0 : 48.0
        let bottom = height - (spec.xLabel.isEmpty ? 34.0 : 56.0)
        yTicks = Self.yTicks(extent: extent, plotHeight: bottom - top)
        let left = Self.plotLeft(yTicks: yTicks, yTitled: !spec.yLabel.isEmpty, width: width)
        legendSize = Self.legendSize(of: spec)
        let right = width - 24 - (legendOutside ? legendSize.width + 12 : 0)
        plot = Box(left: left, top: top, right: right, bottom: bottom)
        yMap = LinearMap(domain: (yTicks.lower, yTicks.upper), range: (bottom, top))

        let (dayLow, dayHigh) = dayRange(extent.xMin, extent.xMax)
        let (xLow, xHigh) = paddedRange(dayLow, dayHigh, fraction: 0.04)
        xMap = LinearMap(domain: (xLow, xHigh), range: (left, right))
        xTicks = Self.xTicks(days: (dayLow, dayHigh), axis: (xLow, xHigh), plotWidth: right - left)
    }

    /// Round ticks enclosing the data, about 45 px apart: the axis runs from the first to the last. The round
    /// ticks already leave room around the data; a 1 % margin only stops it touching the frame.
    static func yTicks(extent: Extent, plotHeight: Double) -> Ticks {
        let (low, high) = paddedRange(extent.yMin, extent.yMax, fraction: extent.hasData ? 0.01 : 0)
        return Ticks.covering(low, high, maxCount: max(3, Int(plotHeight / 45)))
    }

    /// Room for the y title, the widest tick label and the ticks. Absurdly long tick labels may overflow the
    /// left edge rather than squeeze the plot away.
    static func plotLeft(yTicks: Ticks, yTitled: Bool, width: Double) -> Double {
        let labelWidth = yTicks.labels.map { SVGStyle.textWidth($0, size: SVGStyle.tickSize) }.max() ?? 0
        let titleRoom = yTitled ? 12 + SVGStyle.axisTitleSize : 0.0
        return min(12 + titleRoom + labelWidth + 8 + SVGStyle.tickLength, width * 0.4)
    }

    /// Whole days inside the padded axis, far enough apart for the widest end label and 24 px between labels.
    static func xTicks(days: (Double, Double), axis: (Double, Double), plotWidth: Double) -> Ticks {
        let labelWidth = max(SVGStyle.textWidth(formatFixed(days.0, decimals: 0), size: SVGStyle.tickSize),
                             SVGStyle.textWidth(formatFixed(days.1, decimals: 0), size: SVGStyle.tickSize))
        return Ticks.inside(axis.0, axis.1, minimumStep: (axis.1 - axis.0) * (labelWidth + 24) / plotWidth, integral: true)
    }

    /// A row per series under a 6 px margin top and bottom; the swatch, a gap and the longest label across.
    static func legendSize(of spec: PlotSpec) -> (width: Double, height: Double) {
        let textWidth = spec.series.map { SVGStyle.textWidth($0.label, size: SVGStyle.legendSize) }.max() ?? 0
        let width = SVGStyle.legendPadding * 2 + SVGStyle.swatchWidth + 8 + textWidth + 2
        return (width, 2 * 6 + SVGStyle.legendRowHeight * Double(spec.series.count))
    }
}
