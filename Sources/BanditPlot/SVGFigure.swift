// One SVG render: the layout chosen, then the document's parts in painting order, data first and labels on top.

/// A number as the document writes it: at most two decimals.
private func n(_ value: Double) -> String { formatCompact(value) }

/// One render: layout in pixels from the spec and size, then the document text.
struct SVGFigure {
    let spec: PlotSpec
    let width: Double
    let height: Double

    func render() -> String {
        // Inside the axes like matplotlib's loc="best"; beside them when every spot inside would hide data.
        var layout = SVGLayout(spec: spec, width: width, height: height, legendOutside: false)
        if layout.legendCost > 0 {
            let outside = SVGLayout(spec: spec, width: width, height: height, legendOutside: true)
            if outside.axes.plot.right - outside.axes.plot.left >= 0.5 * width { layout = outside }
        }
        return draw(layout)
    }

    private var references: [ReferenceLine] { spec.references.filter { $0.y.isFinite } }

    private func draw(_ layout: SVGLayout) -> String {
        var svg = header(plot: layout.axes.plot) + title()
        svg.append("  <g class=\"data\" clip-path=\"url(#plot-area)\">")
        svg += bands(layout.pixelRuns) + series(layout.pixelRuns) + referenceLines(layout.axes)
        if !layout.hasData { svg.append(noData(in: layout.axes.plot)) }
        svg.append("  </g>")
        svg += frameAndTicks(layout.axes) + axisTitles(plot: layout.axes.plot) + annotations(layout.annotations)
        if let box = layout.legend { svg += legend(in: box) }
        svg.append("</svg>")
        return svg.joined(separator: "\n") + "\n"
    }

    /// The XML declaration, the root element, the plot area's clip path and a white background.
    private func header(plot: Box) -> [String] {
        var svg = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>"]
        svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(width))\" height=\"\(n(height))\" "
            + "viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"\(SVGStyle.fontFamily)\">")
        if !spec.title.isEmpty { svg.append("  <title>\(xmlEscaped(spec.title))</title>") }
        svg.append("  <defs><clipPath id=\"plot-area\"><rect x=\"\(n(plot.left))\" y=\"\(n(plot.top))\" "
            + "width=\"\(n(plot.right - plot.left))\" height=\"\(n(plot.bottom - plot.top))\"/></clipPath></defs>")
        svg.append("  <rect class=\"background\" x=\"0\" y=\"0\" width=\"\(n(width))\" height=\"\(n(height))\" fill=\"#ffffff\"/>")
        return svg
    }

    /// The title centred above the axes; a long one shrinks rather than running off the figure.
    private func title() -> [String] {
        guard !spec.title.isEmpty else { return [] }
        let natural = SVGStyle.textWidth(spec.title, size: SVGStyle.titleSize)
        let size = min(SVGStyle.titleSize, max(8, SVGStyle.titleSize * (width - 20) / max(natural, 1)))
        return ["  <text class=\"title\" x=\"\(n(width / 2))\" y=\"30\" text-anchor=\"middle\" "
            + "font-size=\"\(n(size))\" fill=\"#000000\">\(xmlEscaped(spec.title))</text>"]
    }

    /// One filled path per banded series, beneath every line, as matplotlib's fill_between sits below plot lines.
    private func bands(_ pixelRuns: [[[PixelPoint]]]) -> [String] {
        pixelRuns.enumerated().filter { spec.series[$0.offset].hasBand }.map { index, seriesRuns in
            "    <path class=\"band\" data-label=\"\(xmlEscaped(spec.series[index].label))\" d=\"\(bandPath(seriesRuns))\" "
                + "fill=\"\(SVGStyle.color(ofSeries: index))\" fill-opacity=\"\(n(SVGStyle.bandOpacity))\" stroke=\"none\"/>"
        }
    }

    /// Each run's band as a closed shape: along its upper edge, then back along its lower one.
    private func bandPath(_ runs: [[PixelPoint]]) -> String {
        var d = ""
        for run in runs {
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
        return d
    }

    /// Each series as one path (a gap between runs), then a marker at every point.
    private func series(_ pixelRuns: [[[PixelPoint]]]) -> [String] {
        var svg: [String] = []
        for (index, seriesRuns) in pixelRuns.enumerated() {
            let color = SVGStyle.color(ofSeries: index)
            var d = ""
            for run in seriesRuns {
                for (offset, point) in run.enumerated() { d += (offset == 0 ? "M" : "L") + "\(n(point.x)),\(n(point.y))" }
            }
            svg.append("    <path class=\"series\" data-label=\"\(xmlEscaped(spec.series[index].label))\" d=\"\(d)\" "
                + "fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>")
            svg += markers(seriesRuns, color: color)
        }
        return svg
    }

    /// A dot at each point; dense series get smaller ones so the line stays visible between them.
    private func markers(_ runs: [[PixelPoint]], color: String) -> [String] {
        let count = runs.reduce(0) { $0 + $1.count }
        guard count > 0 else { return [] }
        let radius = count <= 30 ? 3.5 : (count <= 100 ? 2.0 : 1.2)
        return ["    <g class=\"markers\" fill=\"\(color)\">"]
            + runs.joined().map { "      <circle cx=\"\(n($0.x))\" cy=\"\(n($0.y))\" r=\"\(n(radius))\"/>" }
            + ["    </g>"]
    }

    /// A dashed line across the plot at each finite reference.
    private func referenceLines(_ axes: SVGAxes) -> [String] {
        references.map { line in
            let y = axes.yMap(line.y)
            return "    <line class=\"reference\" x1=\"\(n(axes.plot.left))\" y1=\"\(n(y))\" x2=\"\(n(axes.plot.right))\" "
                + "y2=\"\(n(y))\" stroke=\"\(referenceColor(line))\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>"
        }
    }

    private func noData(in plot: Box) -> String {
        "    <text class=\"no-data\" x=\"\(n((plot.left + plot.right) / 2))\" y=\"\(n((plot.top + plot.bottom) / 2))\" "
            + "text-anchor=\"middle\" font-size=\"\(n(SVGStyle.axisTitleSize))\" fill=\"#777777\">no data</text>"
    }

    /// Frame, ticks and their labels, drawn over the data like matplotlib's spines.
    private func frameAndTicks(_ axes: SVGAxes) -> [String] {
        let (plot, tick) = (axes.plot, SVGStyle.tickLength)
        var svg = ["  <rect class=\"frame\" x=\"\(n(plot.left))\" y=\"\(n(plot.top))\" width=\"\(n(plot.right - plot.left))\" "
            + "height=\"\(n(plot.bottom - plot.top))\" fill=\"none\" stroke=\"#000000\" stroke-width=\"1\"/>"]
        svg.append("  <g class=\"ticks\" stroke=\"#000000\" stroke-width=\"1\">")
        for y in axes.yTicks.values.map({ axes.yMap($0) }) {
            svg.append("    <line x1=\"\(n(plot.left - tick))\" y1=\"\(n(y))\" x2=\"\(n(plot.left))\" y2=\"\(n(y))\"/>")
        }
        for x in axes.xTicks.values.map({ axes.xMap($0) }) {
            svg.append("    <line x1=\"\(n(x))\" y1=\"\(n(plot.bottom))\" x2=\"\(n(x))\" y2=\"\(n(plot.bottom + tick))\"/>")
        }
        svg.append("  </g>")
        svg.append("  <g class=\"tick-labels\" font-size=\"\(n(SVGStyle.tickSize))\" fill=\"#000000\">")
        for (value, label) in zip(axes.yTicks.values, axes.yTicks.labels) {
            svg.append("    <text x=\"\(n(plot.left - tick - 4))\" y=\"\(n(axes.yMap(value) + 4.5))\" "
                + "text-anchor=\"end\">\(label)</text>")
        }
        for (value, label) in zip(axes.xTicks.values, axes.xTicks.labels) {
            svg.append("    <text x=\"\(n(axes.xMap(value)))\" y=\"\(n(plot.bottom + tick + 16))\" "
                + "text-anchor=\"middle\">\(label)</text>")
        }
        svg.append("  </g>")
        return svg
    }

    /// The x title centred under the tick labels, the y title turned a quarter left of the axis.
    private func axisTitles(plot: Box) -> [String] {
        var svg: [String] = []
        if !spec.xLabel.isEmpty {
            svg.append("  <text class=\"axis-title x\" x=\"\(n((plot.left + plot.right) / 2))\" y=\"\(n(height - 14))\" "
                + "text-anchor=\"middle\" font-size=\"\(n(SVGStyle.axisTitleSize))\" fill=\"#000000\">\(xmlEscaped(spec.xLabel))</text>")
        }
        if !spec.yLabel.isEmpty {
            let x = 12 + SVGStyle.axisTitleSize, y = (plot.top + plot.bottom) / 2
            svg.append("  <text class=\"axis-title y\" x=\"\(n(x))\" y=\"\(n(y))\" transform=\"rotate(-90 \(n(x)) \(n(y)))\" "
                + "text-anchor=\"middle\" font-size=\"\(n(SVGStyle.axisTitleSize))\" fill=\"#000000\">\(xmlEscaped(spec.yLabel))</text>")
        }
        return svg
    }

    /// Each reference's label (with its arrow), with a white halo so it stays legible wherever it had to go.
    private func annotations(_ placed: [Annotation]) -> [String] {
        var svg: [String] = []
        for (line, annotation) in zip(references, placed) {
            let color = referenceColor(line)
            if let arrow = annotation.arrow { svg += self.arrow(arrow, color: color) }
            svg.append("  <text class=\"reference-label\" x=\"\(n(annotation.textX))\" y=\"\(n(annotation.baseline))\" "
                + "font-size=\"\(n(annotation.size))\" fill=\"\(color)\" stroke=\"#ffffff\" stroke-width=\"3\" "
                + "stroke-linejoin=\"round\" paint-order=\"stroke\">\(xmlEscaped(annotation.text))</text>")
        }
        return svg
    }

    /// A shaft from the label to just short of the line, and a 7 px head touching it.
    private func arrow(_ arrow: (from: (Double, Double), to: (Double, Double)), color: String) -> [String] {
        let (fx, fy) = arrow.from, (tx, ty) = arrow.to
        let head = ty > fy ? -7.0 : 7.0
        return [
            "  <g class=\"reference-arrow\" stroke=\"\(color)\" fill=\"\(color)\">",
            "    <line x1=\"\(n(fx))\" y1=\"\(n(fy))\" x2=\"\(n(tx))\" y2=\"\(n(ty + head))\" stroke-width=\"1.2\"/>",
            "    <path d=\"M\(n(tx)),\(n(ty))L\(n(tx - 3.5)),\(n(ty + head))L\(n(tx + 3.5)),\(n(ty + head))Z\" stroke=\"none\"/>",
            "  </g>",
        ]
    }

    /// A framed box with a row per series: its band's swatch (when it has one), a line with a marker, the label.
    private func legend(in box: Box) -> [String] {
        let (rowHeight, swatchWidth) = (SVGStyle.legendRowHeight, SVGStyle.swatchWidth)
        var svg = ["  <g class=\"legend\" font-size=\"\(n(SVGStyle.legendSize))\">"]
        svg.append("    <rect x=\"\(n(box.left))\" y=\"\(n(box.top))\" width=\"\(n(box.right - box.left))\" "
            + "height=\"\(n(box.bottom - box.top))\" rx=\"3\" fill=\"#ffffff\" fill-opacity=\"0.85\" stroke=\"#cccccc\"/>")
        for (index, series) in spec.series.enumerated() {
            let color = SVGStyle.color(ofSeries: index)
            let y = box.top + 6 + rowHeight * (Double(index) + 0.5)
            let x = box.left + SVGStyle.legendPadding
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
        return svg
    }

    /// A reference takes its series' colour when the index names one, else neutral grey.
    private func referenceColor(_ line: ReferenceLine) -> String {
        guard let index = line.series, index >= 0, index < spec.series.count else { return SVGStyle.neutral }
        return SVGStyle.color(ofSeries: index)
    }
}
