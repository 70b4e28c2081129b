// The SVG renderer: a standalone, matplotlib-looking figure of learning curves, ±SE bands and reference lines.

/// Draws a `PlotSpec` as a standalone SVG document.
public enum SVGPlot {
    /// The figure is never smaller than this; a smaller request is enlarged so the axes still fit.
    public static let minimumWidth = 240
    public static let minimumHeight = 180

    /// A complete SVG document, `width`×`height` pixels, numbers written with at most two decimals.
    public static func render(_ spec: PlotSpec, width: Int = 800, height: Int = 520) -> String {
        SVGFigure(spec: spec, width: Double(max(width, minimumWidth)), height: Double(max(height, minimumHeight)))
            .render()
    }
}

// MARK: - Style

/// matplotlib's look: tab10 colours, DejaVu Sans, its font sizes and line widths in pixels.
enum SVGStyle {
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    static let neutral = "#555555"
    static let fontFamily = "DejaVu Sans, Helvetica, Arial, sans-serif"
    static let titleSize = 16.0
    static let axisTitleSize = 14.0
    static let tickSize = 13.0
    static let legendSize = 13.0
    static let annotationSize = 13.0
    static let tickLength = 5.0
    static let bandOpacity = 0.33

    static func color(ofSeries index: Int) -> String { palette[index % palette.count] }

    /// Approximate advance width of `text` in DejaVu Sans, for layout only (no font metrics without I/O).
    static func textWidth(_ text: String, size: Double) -> Double {
        var ems = 0.0
        for character in text {
            switch character {
            case "i", "j", "l", ".", ",", ":", ";", "'", "|", "!": ems += 0.3
            case " ": ems += 0.32
            case "f", "t", "-", "(", ")", "[", "]": ems += 0.38
            case "r": ems += 0.41
            case "s", "z", "c": ems += 0.54
            case "k", "v", "x", "y": ems += 0.59
            case "0"..."9": ems += 0.64
            case "w": ems += 0.82
            case "m", "M", "W": ems += 0.9
            case "=", "+", "×", "±", "<", ">": ems += 0.84
            case "—", "%": ems += 1.0
            case "A"..."Z": ems += 0.7
            default: ems += Screen.columns(of: character) == 2 ? 1.0 : 0.62
            }
        }
        return ems * size
    }
}

// MARK: - Geometry helpers

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

/// Text safe inside XML content and double- or single-quoted attributes; control characters become blanks.
func xmlEscaped(_ text: String) -> String {
    var result = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&apos;"
        default:
            // XML 1.0 forbids most C0 controls; U+FFFE and U+FFFF are not characters at all.
            let value = scalar.value
            if value < 0x20 || (0x7F...0x9F).contains(value) || value == 0xFFFE || value == 0xFFFF {
                result += " "
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return result
}

// MARK: - The figure

/// One render: layout in pixels from the spec and size, then the document text.
struct SVGFigure {
    let spec: PlotSpec
    let width: Double
    let height: Double

    /// A placed annotation: its text box, baseline anchor and optional arrow from the text to the line.
    private struct Annotation {
        var box: Box
        var textX: Double
        var baseline: Double
        var arrow: (from: (Double, Double), to: (Double, Double))?

        /// The strip the arrow occupies, for collision checks.
        var arrowBox: Box? {
            arrow.map { Box(left: $0.from.0 - 2, top: min($0.from.1, $0.to.1), right: $0.from.0 + 2, bottom: max($0.from.1, $0.to.1)) }
        }
    }

    /// A series point in pixels, with its band's upper and lower edges.
    private struct Pixel {
        var x: Double
        var y: Double
        var high: Double
        var low: Double
    }

    /// Where everything goes, in pixels.
    private struct Layout {
        var plot: Box
        var xMap: LinearMap
        var yMap: LinearMap
        var xTicks: Ticks
        var yTicks: Ticks
        var pixelRuns: [[[Pixel]]]
        var hasData: Bool
        var annotations: [Annotation]
        var legend: Box?
        /// How much data the legend hides: obstacle samples under it.
        var legendCost: Double
    }

    private static let rowHeight = 20.0, swatchWidth = 30.0, legendPadding = 8.0

    func render() -> String {
        // Inside the axes like matplotlib's loc="best"; beside them when every spot inside would hide data.
        var layout = self.layout(legendOutside: false)
        if layout.legendCost > 0 {
            let outside = self.layout(legendOutside: true)
            if outside.plot.right - outside.plot.left >= 0.5 * width { layout = outside }
        }
        return draw(layout)
    }

    private func layout(legendOutside: Bool) -> Layout {
        let runs = spec.cleanedRuns
        let extent = spec.extent(of: runs)

        // Vertical layout first: the y ticks depend only on the plot's height, the left margin on their labels.
        let plotTop = spec.title.isEmpty ? 20.0 : 48.0
        let plotBottom = height - (spec.xLabel.isEmpty ? 34.0 : 56.0)
        // The round ticks already leave room around the data; a 1 % margin only stops it touching the frame.
        let (yLow, yHigh) = paddedRange(extent.yMin, extent.yMax, fraction: extent.hasData ? 0.01 : 0)
        let yTicks = Ticks.covering(yLow, yHigh, maxCount: max(3, Int((plotBottom - plotTop) / 45)))
        let yLabels = yTicks.labels
        let yLabelWidth = yLabels.map { SVGStyle.textWidth($0, size: SVGStyle.tickSize) }.max() ?? 0
        let yTitleRoom = spec.yLabel.isEmpty ? 0.0 : 12 + SVGStyle.axisTitleSize
        // Absurdly long tick labels may overflow the left edge rather than squeeze the plot away.
        let plotLeft = min(12 + yTitleRoom + yLabelWidth + 8 + SVGStyle.tickLength, width * 0.4)
        let legendTextWidth = spec.series.map { SVGStyle.textWidth($0.label, size: SVGStyle.legendSize) }.max() ?? 0
        let legendWidth = Self.legendPadding * 2 + Self.swatchWidth + 8 + legendTextWidth + 2
        let legendHeight = 2 * 6 + Self.rowHeight * Double(spec.series.count)
        let plotRight = width - 24 - (legendOutside ? legendWidth + 12 : 0)
        let plot = Box(left: plotLeft, top: plotTop, right: plotRight, bottom: plotBottom)

        let yMap = LinearMap(domain: (yTicks.lower, yTicks.upper), range: (plotBottom, plotTop))
        let (dayLow, dayHigh) = dayRange(extent.xMin, extent.xMax)
        let (xLow, xHigh) = paddedRange(dayLow, dayHigh, fraction: 0.04)
        let xMap = LinearMap(domain: (xLow, xHigh), range: (plotLeft, plotRight))
        let xLabelWidth = max(SVGStyle.textWidth(formatFixed(dayLow, decimals: 0), size: SVGStyle.tickSize),
                              SVGStyle.textWidth(formatFixed(dayHigh, decimals: 0), size: SVGStyle.tickSize))
        let xTicks = Ticks.inside(xLow, xHigh, minimumStep: (xHigh - xLow) * (xLabelWidth + 24) / (plotRight - plotLeft),
                                  integral: true)

        // Everything drawn in the plot area, sampled as points so annotations and the legend can avoid it.
        var obstacles: [(Double, Double)] = []
        let pixelRuns = runs.map { seriesRuns in
            seriesRuns.map { run in run.map { Pixel(x: xMap($0.x), y: yMap($0.y), high: yMap($0.high), low: yMap($0.low)) } }
        }
        for (index, seriesRuns) in pixelRuns.enumerated() {
            for run in seriesRuns {
                for (a, b) in zip(run, run.dropFirst()) {
                    let steps = max(1, (min(abs(b.x - a.x) + abs(b.y - a.y), 4000) / 3).clampedInt)
                    for step in 0...steps {
                        let t = Double(step) / Double(steps)
                        let x = a.x + t * (b.x - a.x)
                        obstacles.append((x, a.y + t * (b.y - a.y)))
                        guard spec.series[index].hasBand else { continue }
                        let high = a.high + t * (b.high - a.high), low = a.low + t * (b.low - a.low)
                        // The band's whole area is an obstacle, sampled every 6 px down the column.
                        var y = high
                        while y < low { obstacles.append((x, y)); y += 6 }
                        obstacles.append((x, low))
                    }
                }
                for point in run { obstacles.append((point.x, point.y)) }
            }
        }
        let references = spec.references.filter { $0.y.isFinite }
        var referenceSamples: [[(Double, Double)]] = []
        for line in references {
            let y = yMap(line.y)
            referenceSamples.append(stride(from: plotLeft, through: plotRight, by: 4).map { ($0, y) })
        }

        func cost(of box: Box, ignoring reference: Int?, placed: [Box]) -> Double {
            var total = 0.0
            let padded = box.inset(by: -3)
            if !box.within(plot.inset(by: 2)) { total += 10_000 }
            for other in placed where other.intersects(padded) { total += 1000 }
            for (x, y) in obstacles where padded.contains(x, y) { total += 1 }
            for (index, samples) in referenceSamples.enumerated() where index != reference {
                for (x, y) in samples where padded.contains(x, y) { total += 3 }
            }
            return total
        }

        // Annotations first: they must stay near their lines, while the legend can go anywhere.
        var placedBoxes: [Box] = []
        var annotations: [Annotation] = []
        for (index, line) in references.enumerated() {
            let y = yMap(line.y)
            let textWidth = SVGStyle.textWidth(line.label, size: SVGStyle.annotationSize)
            let lefts = [plotRight - 14 - textWidth, plotLeft + 14, (plotLeft + plotRight - textWidth) / 2]
            var candidates: [Annotation] = []
            // Text 34 px off the line with an arrow to it, as matplotlib's annotate; else hugging the line.
            for left in lefts {
                for below in [true, false] {
                    let top = below ? y + 34 : y - 34 - SVGStyle.annotationSize
                    let box = Box(left: left, top: top, right: left + textWidth, bottom: top + SVGStyle.annotationSize)
                    let arrowX = left + textWidth / 2
                    let arrow = (from: (arrowX, below ? box.top - 3 : box.bottom + 3), to: (arrowX, below ? y + 2 : y - 2))
                    candidates.append(Annotation(box: box, textX: left, baseline: box.bottom - 3, arrow: arrow))
                }
            }
            for left in lefts.prefix(2) {
                for below in [false, true] {
                    let top = below ? y + 5 : y - 5 - SVGStyle.annotationSize
                    let box = Box(left: left, top: top, right: left + textWidth, bottom: top + SVGStyle.annotationSize)
                    candidates.append(Annotation(box: box, textX: left, baseline: box.bottom - 3, arrow: nil))
                }
            }
            var best: (annotation: Annotation, cost: Double)? = nil
            for candidate in candidates {
                var total = cost(of: candidate.box, ignoring: index, placed: placedBoxes)
                if let strip = candidate.arrowBox {
                    for (x, y) in obstacles where strip.contains(x, y) { total += 1 }
                    for other in placedBoxes where other.intersects(strip) { total += 1000 }
                }
                if total < best?.cost ?? .infinity { best = (candidate, total) }
            }
            guard let chosen = best?.annotation else { continue }
            annotations.append(chosen)
            placedBoxes.append(chosen.box.inset(by: -2))
            if let strip = chosen.arrowBox { placedBoxes.append(strip) }
        }

        // The legend goes where it hides least, trying matplotlib's "best" locations in its order.
        var legend: (box: Box, cost: Double)? = nil
        if !spec.series.isEmpty, legendOutside {
            let box = Box(left: plotRight + 12, top: plotTop, right: plotRight + 12 + legendWidth, bottom: plotTop + legendHeight)
            legend = (box, 0)
        } else if !spec.series.isEmpty {
            let inner = plot.inset(by: 10)
            let midX = (plot.left + plot.right - legendWidth) / 2, midY = (plot.top + plot.bottom - legendHeight) / 2
            let corners: [(Double, Double)] = [
                (inner.right - legendWidth, inner.top), (inner.left, inner.top),
                (inner.left, inner.bottom - legendHeight), (inner.right - legendWidth, inner.bottom - legendHeight),
                (inner.right - legendWidth, midY), (inner.left, midY),
                (midX, inner.bottom - legendHeight), (midX, inner.top), (midX, midY),
            ]
            for (left, top) in corners {
                let box = Box(left: left, top: top, right: left + legendWidth, bottom: top + legendHeight)
                let total = cost(of: box, ignoring: nil, placed: placedBoxes)
                if total < legend?.cost ?? .infinity { legend = (box, total) }
            }
        }

        return Layout(plot: plot, xMap: xMap, yMap: yMap, xTicks: xTicks, yTicks: yTicks, pixelRuns: pixelRuns,
                      hasData: extent.hasData, annotations: annotations, legend: legend?.box, legendCost: legend?.cost ?? 0)
    }

    private func draw(_ layout: Layout) -> String {
        let n = formatCompact
        let (plot, xMap, yMap, pixelRuns) = (layout.plot, layout.xMap, layout.yMap, layout.pixelRuns)
        let references = spec.references.filter { $0.y.isFinite }
        let (rowHeight, swatchWidth, padding) = (Self.rowHeight, Self.swatchWidth, Self.legendPadding)

        var svg: [String] = []
        svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" "
            + "viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"\(SVGStyle.fontFamily)\">")
        if !spec.title.isEmpty { svg.append("  <title>\(xmlEscaped(spec.title))</title>") }
        svg.append("  <defs><clipPath id=\"plot-area\"><rect x=\"\(n(plot.left))\" y=\"\(n(plot.top))\" "
            + "width=\"\(n(plot.right - plot.left))\" height=\"\(n(plot.bottom - plot.top))\"/></clipPath></defs>")
        svg.append("  <rect class=\"background\" x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"#ffffff\"/>")

        if !spec.title.isEmpty {
            // A long title shrinks rather than running off the figure.
            let natural = SVGStyle.textWidth(spec.title, size: SVGStyle.titleSize)
            let size = min(SVGStyle.titleSize, max(8, SVGStyle.titleSize * (width - 20) / max(natural, 1)))
            svg.append("  <text class=\"title\" x=\"\(n(width / 2))\" y=\"30\" text-anchor=\"middle\" "
                + "font-size=\"\(n(size))\" fill=\"#000000\">\(xmlEscaped(spec.title))</text>")
        }

        svg.append("  <g class=\"data\" clip-path=\"url(#plot-area)\">")
        // Bands beneath every line, as matplotlib's fill_between sits below plot lines.
        for (index, seriesRuns) in pixelRuns.enumerated() where spec.series[index].hasBand {
            var d = ""
            for run in seriesRuns {
                if run.count == 1, let point = run.first {
                    // A lone point's band is a narrow bar, so it still shows.
                    d += "M\(n(point.x - 3)),\(n(point.high))L\(n(point.x + 3)),\(n(point.high))"
                        + "L\(n(point.x + 3)),\(n(point.low))L\(n(point.x - 3)),\(n(point.low))Z"
                    continue
                }
                for (offset, point) in run.enumerated() { d += (offset == 0 ? "M" : "L") + "\(n(point.x)),\(n(point.high))" }
                for point in run.reversed() { d += "L\(n(point.x)),\(n(point.low))" }
                if !run.isEmpty { d += "Z" }
            }
            svg.append("    <path class=\"band\" data-label=\"\(xmlEscaped(spec.series[index].label))\" d=\"\(d)\" "
                + "fill=\"\(SVGStyle.color(ofSeries: index))\" fill-opacity=\"\(n(SVGStyle.bandOpacity))\" stroke=\"none\"/>")
        }
        for (index, seriesRuns) in pixelRuns.enumerated() {
            let color = SVGStyle.color(ofSeries: index)
            var d = ""
            for run in seriesRuns {
                for (offset, point) in run.enumerated() { d += (offset == 0 ? "M" : "L") + "\(n(point.x)),\(n(point.y))" }
            }
            svg.append("    <path class=\"series\" data-label=\"\(xmlEscaped(spec.series[index].label))\" d=\"\(d)\" "
                + "fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>")
            let count = seriesRuns.reduce(0) { $0 + $1.count }
            guard count > 0 else { continue }
            // Dense series get smaller markers so the line stays visible between them.
            let radius = count <= 30 ? 3.5 : (count <= 100 ? 2.0 : 1.2)
            svg.append("    <g class=\"markers\" fill=\"\(color)\">")
            for point in seriesRuns.joined() {
                svg.append("      <circle cx=\"\(n(point.x))\" cy=\"\(n(point.y))\" r=\"\(n(radius))\"/>")
            }
            svg.append("    </g>")
        }
        for line in references {
            let y = yMap(line.y)
            svg.append("    <line class=\"reference\" x1=\"\(n(plot.left))\" y1=\"\(n(y))\" x2=\"\(n(plot.right))\" "
                + "y2=\"\(n(y))\" stroke=\"\(referenceColor(line))\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>")
        }
        if !layout.hasData {
            svg.append("    <text class=\"no-data\" x=\"\(n((plot.left + plot.right) / 2))\" y=\"\(n((plot.top + plot.bottom) / 2))\" "
                + "text-anchor=\"middle\" font-size=\"\(n(SVGStyle.axisTitleSize))\" fill=\"#777777\">no data</text>")
        }
        svg.append("  </g>")

        // Frame, ticks and their labels, drawn over the data like matplotlib's spines.
        svg.append("  <rect class=\"frame\" x=\"\(n(plot.left))\" y=\"\(n(plot.top))\" width=\"\(n(plot.right - plot.left))\" "
            + "height=\"\(n(plot.bottom - plot.top))\" fill=\"none\" stroke=\"#000000\" stroke-width=\"1\"/>")
        svg.append("  <g class=\"ticks\" stroke=\"#000000\" stroke-width=\"1\">")
        for value in layout.yTicks.values {
            let y = yMap(value)
            svg.append("    <line x1=\"\(n(plot.left - SVGStyle.tickLength))\" y1=\"\(n(y))\" x2=\"\(n(plot.left))\" y2=\"\(n(y))\"/>")
        }
        for value in layout.xTicks.values {
            let x = xMap(value)
            svg.append("    <line x1=\"\(n(x))\" y1=\"\(n(plot.bottom))\" x2=\"\(n(x))\" y2=\"\(n(plot.bottom + SVGStyle.tickLength))\"/>")
        }
        svg.append("  </g>")
        svg.append("  <g class=\"tick-labels\" font-size=\"\(n(SVGStyle.tickSize))\" fill=\"#000000\">")
        for (value, label) in zip(layout.yTicks.values, layout.yTicks.labels) {
            svg.append("    <text x=\"\(n(plot.left - SVGStyle.tickLength - 4))\" y=\"\(n(yMap(value) + 4.5))\" "
                + "text-anchor=\"end\">\(label)</text>")
        }
        for (value, label) in zip(layout.xTicks.values, layout.xTicks.labels) {
            svg.append("    <text x=\"\(n(xMap(value)))\" y=\"\(n(plot.bottom + SVGStyle.tickLength + 16))\" "
                + "text-anchor=\"middle\">\(label)</text>")
        }
        svg.append("  </g>")

        if !spec.xLabel.isEmpty {
            svg.append("  <text class=\"axis-title x\" x=\"\(n((plot.left + plot.right) / 2))\" y=\"\(n(height - 14))\" "
                + "text-anchor=\"middle\" font-size=\"\(n(SVGStyle.axisTitleSize))\" fill=\"#000000\">\(xmlEscaped(spec.xLabel))</text>")
        }
        if !spec.yLabel.isEmpty {
            let x = 12 + SVGStyle.axisTitleSize, y = (plot.top + plot.bottom) / 2
            svg.append("  <text class=\"axis-title y\" x=\"\(n(x))\" y=\"\(n(y))\" transform=\"rotate(-90 \(n(x)) \(n(y)))\" "
                + "text-anchor=\"middle\" font-size=\"\(n(SVGStyle.axisTitleSize))\" fill=\"#000000\">\(xmlEscaped(spec.yLabel))</text>")
        }

        // Annotations, with a white halo so they stay legible wherever they had to go.
        for (line, annotation) in zip(references, layout.annotations) {
            let color = referenceColor(line)
            if let arrow = annotation.arrow {
                let (fx, fy) = arrow.from, (tx, ty) = arrow.to
                let head = ty > fy ? -7.0 : 7.0
                svg.append("  <g class=\"reference-arrow\" stroke=\"\(color)\" fill=\"\(color)\">")
                svg.append("    <line x1=\"\(n(fx))\" y1=\"\(n(fy))\" x2=\"\(n(tx))\" y2=\"\(n(ty + head))\" stroke-width=\"1.2\"/>")
                svg.append("    <path d=\"M\(n(tx)),\(n(ty))L\(n(tx - 3.5)),\(n(ty + head))L\(n(tx + 3.5)),\(n(ty + head))Z\" stroke=\"none\"/>")
                svg.append("  </g>")
            }
            svg.append("  <text class=\"reference-label\" x=\"\(n(annotation.textX))\" y=\"\(n(annotation.baseline))\" "
                + "font-size=\"\(n(SVGStyle.annotationSize))\" fill=\"\(color)\" stroke=\"#ffffff\" stroke-width=\"3\" "
                + "stroke-linejoin=\"round\" paint-order=\"stroke\">\(xmlEscaped(line.label))</text>")
        }

        if let box = layout.legend {
            svg.append("  <g class=\"legend\" font-size=\"\(n(SVGStyle.legendSize))\">")
            svg.append("    <rect x=\"\(n(box.left))\" y=\"\(n(box.top))\" width=\"\(n(box.right - box.left))\" "
                + "height=\"\(n(box.bottom - box.top))\" rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.85\" stroke=\"#cccccc\"/>")
            for (index, series) in spec.series.enumerated() {
                let color = SVGStyle.color(ofSeries: index)
                let y = box.top + 6 + rowHeight * (Double(index) + 0.5)
                let x = box.left + padding
                svg.append("    <g class=\"swatch\" data-label=\"\(xmlEscaped(series.label))\">")
                if series.hasBand {
                    svg.append("      <rect x=\"\(n(x))\" y=\"\(n(y - 6))\" width=\"\(n(swatchWidth))\" height=\"12\" "
                        + "fill=\"\(color)\" fill-opacity=\"\(n(SVGStyle.bandOpacity))\"/>")
                }
                svg.append("      <line x1=\"\(n(x))\" y1=\"\(n(y))\" x2=\"\(n(x + swatchWidth))\" y2=\"\(n(y))\" "
                    + "stroke=\"\(color)\" stroke-width=\"2\"/>")
                svg.append("      <circle cx=\"\(n(x + swatchWidth / 2))\" cy=\"\(n(y))\" r=\"3.5\" fill=\"\(color)\"/>")
                svg.append("    </g>")
                svg.append("    <text x=\"\(n(x + swatchWidth + 8))\" y=\"\(n(y + 4.5))\" fill=\"#000000\">\(xmlEscaped(series.label))</text>")
            }
            svg.append("  </g>")
        }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    /// A reference takes its series' colour when the index names one, else neutral grey.
    private func referenceColor(_ line: ReferenceLine) -> String {
        guard let index = line.series, index >= 0, index < spec.series.count else { return SVGStyle.neutral }
        return SVGStyle.color(ofSeries: index)
    }
}
