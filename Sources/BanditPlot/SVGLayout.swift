// The SVG figure's layout: data in pixels, and the spots for annotations and the legend that hide the least.

/// A series point in pixels, with its band's upper and lower edges.
struct PixelPoint {
    var x: Double
    var y: Double
    var high: Double
    var low: Double
}

/// A placed annotation: its text as shown and font size, its box, baseline anchor and optional arrow to the line.
struct Annotation {
    var text: String
    var size: Double
    var box: Box
    var textX: Double
    var baseline: Double
    var arrow: (from: (Double, Double), to: (Double, Double))?

    /// The strip the arrow occupies, for collision checks.
    var arrowBox: Box? {
        arrow.map { Box(left: $0.from.0 - 2, top: min($0.from.1, $0.to.1), right: $0.from.0 + 2, bottom: max($0.from.1, $0.to.1)) }
    }

    /// The spots tried for a line's label at pixel height `y`, at the plot's right end, left end and middle:
    /// text 34 px off the line with an arrow to it, as matplotlib's annotate, then hugging the line at either end.
    /// A label wider than the plot shrinks, down to 9 px, then is cut: it must not run off the figure.
    static func candidates(for label: String, atY y: Double, in plot: Box) -> [Annotation] {
        let (text, size) = SVGStyle.fitted(label, size: SVGStyle.annotationSize, minimumSize: 9,
                                           room: plot.right - plot.left - 28)
        let textWidth = SVGStyle.textWidth(text, size: size)
        let lefts = [plot.right - 14 - textWidth, plot.left + 14, (plot.left + plot.right - textWidth) / 2]
        var candidates: [Annotation] = []
        for left in lefts {
            for below in [true, false] {
                let top = below ? y + 34 : y - 34 - size
                let box = Box(left: left, top: top, right: left + textWidth, bottom: top + size)
                let arrowX = left + textWidth / 2
                let arrow = (from: (arrowX, below ? box.top - 3 : box.bottom + 3), to: (arrowX, below ? y + 2 : y - 2))
                candidates.append(Annotation(text: text, size: size, box: box, textX: left, baseline: box.bottom - 3, arrow: arrow))
            }
        }
        for left in lefts.prefix(2) {
            for below in [false, true] {
                let top = below ? y + 5 : y - 5 - size
                let box = Box(left: left, top: top, right: left + textWidth, bottom: top + size)
                candidates.append(Annotation(text: text, size: size, box: box, textX: left, baseline: box.bottom - 3, arrow: nil))
            }
        }
        return candidates
    }
}

/// Everything drawn in the plot area, sampled as points, so annotations and the legend can avoid it.
struct Obstacles {
    let plot: Box
    private(set) var points: [(Double, Double)] = []
    /// Points every 4 px along each reference line, kept apart so a label does not shy from its own line.
    private(set) var references: [[(Double, Double)]] = []

    init(spec: PlotSpec, pixelRuns: [[[PixelPoint]]], referenceYs: [Double], plot: Box) {
        self.plot = plot
        for (index, seriesRuns) in pixelRuns.enumerated() {
            for run in seriesRuns {
                for (a, b) in zip(run, run.dropFirst()) { sample(from: a, to: b, band: spec.series[index].hasBand) }
                for point in run { points.append((point.x, point.y)) }
            }
        }
        references = referenceYs.map { y in stride(from: plot.left, through: plot.right, by: 4).map { ($0, y) } }
    }

    /// A segment every 3 px or so; with a band, the band's whole area too, every 6 px down each sampled column.
    private mutating func sample(from a: PixelPoint, to b: PixelPoint, band: Bool) {
        let steps = max(1, (min(abs(b.x - a.x) + abs(b.y - a.y), 4000) / 3).clampedInt)
        for step in 0...steps {
            let t = Double(step) / Double(steps)
            let x = a.x + t * (b.x - a.x)
            points.append((x, a.y + t * (b.y - a.y)))
            guard band else { continue }
            let high = a.high + t * (b.high - a.high), low = a.low + t * (b.low - a.low)
            var y = high
            while y < low { points.append((x, y)); y += 6 }
            points.append((x, low))
        }
    }

    /// What a box would hide, padded by 3 px: leaving the plot costs most, then overlapping a placed box,
    /// then other references (3 a sample) and data (1 a sample).
    func cost(of box: Box, ignoring reference: Int?, placed: [Box]) -> Double {
        var total = 0.0
        let padded = box.inset(by: -3)
        if !box.within(plot.inset(by: 2)) { total += 10_000 }
        for other in placed where other.intersects(padded) { total += 1000 }
        for (x, y) in points where padded.contains(x, y) { total += 1 }
        for (index, samples) in references.enumerated() where index != reference {
            for (x, y) in samples where padded.contains(x, y) { total += 3 }
        }
        return total
    }

    /// What an arrow's strip would cross: data, and boxes already placed.
    func cost(ofArrow strip: Box, placed: [Box]) -> Double {
        var total = 0.0
        for (x, y) in points where strip.contains(x, y) { total += 1 }
        for other in placed where other.intersects(strip) { total += 1000 }
        return total
    }
}

/// Where everything goes, in pixels.
struct SVGLayout {
    var axes: SVGAxes
    var pixelRuns: [[[PixelPoint]]]
    var hasData: Bool
    /// One per finite reference line, in the spec's order.
    var annotations: [Annotation]
    var legend: Box?
    /// How much data the legend hides: obstacle samples under it.
    var legendCost: Double

    init(spec: PlotSpec, width: Double, height: Double, legendOutside: Bool) {
        let runs = spec.cleanedRuns
        let extent = spec.extent(of: runs)
        let axes = SVGAxes(spec: spec, extent: extent, width: width, height: height, legendOutside: legendOutside)
        self.axes = axes
        pixelRuns = runs.map { seriesRuns in
            seriesRuns.map { run in
                run.map { PixelPoint(x: axes.xMap($0.x), y: axes.yMap($0.y), high: axes.yMap($0.high), low: axes.yMap($0.low)) }
            }
        }
        hasData = extent.hasData
        let references = spec.references.filter { $0.y.isFinite }
        let obstacles = Obstacles(spec: spec, pixelRuns: pixelRuns, referenceYs: references.map { axes.yMap($0.y) },
                                  plot: axes.plot)
        // Annotations first: they must stay near their lines, while the legend can go anywhere.
        var placed: [Box] = []
        annotations = Self.placeAnnotations(of: references, axes: axes, obstacles: obstacles, placed: &placed)
        var legend: (box: Box, cost: Double)? = nil
        if !spec.series.isEmpty {
            legend = legendOutside ? (Self.legendBeside(axes), 0) : Self.legendInside(axes, obstacles: obstacles, placed: placed)
        }
        self.legend = legend?.box
        legendCost = legend?.cost ?? 0
    }

    /// Each reference's label at its cheapest candidate spot; each placed label (and arrow) is avoided by the next.
    private static func placeAnnotations(of references: [ReferenceLine], axes: SVGAxes, obstacles: Obstacles,
                                         placed: inout [Box]) -> [Annotation] {
        var annotations: [Annotation] = []
        for (index, line) in references.enumerated() {
            var best: (annotation: Annotation, cost: Double)? = nil
            for candidate in Annotation.candidates(for: line.label, atY: axes.yMap(line.y), in: axes.plot) {
                var total = obstacles.cost(of: candidate.box, ignoring: index, placed: placed)
                if let strip = candidate.arrowBox { total += obstacles.cost(ofArrow: strip, placed: placed) }
                if total < best?.cost ?? .infinity { best = (candidate, total) }
            }
            guard let chosen = best?.annotation else { continue }
            annotations.append(chosen)
            placed.append(chosen.box.inset(by: -2))
            if let strip = chosen.arrowBox { placed.append(strip) }
        }
        return annotations
    }

    /// Right of the plot, level with its top; the axes were narrowed to make room.
    private static func legendBeside(_ axes: SVGAxes) -> Box {
        let (plot, size) = (axes.plot, axes.legendSize)
        return Box(left: plot.right + 12, top: plot.top, right: plot.right + 12 + size.width, bottom: plot.top + size.height)
    }

    /// Inside the axes where it hides least, trying matplotlib's "best" locations in its order.
    private static func legendInside(_ axes: SVGAxes, obstacles: Obstacles, placed: [Box]) -> (box: Box, cost: Double)? {
        let (plot, width, height) = (axes.plot, axes.legendSize.width, axes.legendSize.height)
        let inner = plot.inset(by: 10)
        let midX = (plot.left + plot.right - width) / 2, midY = (plot.top + plot.bottom - height) / 2
        let corners: [(Double, Double)] = [
            (inner.right - width, inner.top), (inner.left, inner.top),
            (inner.left, inner.bottom - height), (inner.right - width, inner.bottom - height),
            (inner.right - width, midY), (inner.left, midY),
            (midX, inner.bottom - height), (midX, inner.top), (midX, midY),
        ]
        var best: (box: Box, cost: Double)? = nil
        for (left, top) in corners {
            let box = Box(left: left, top: top, right: left + width, bottom: top + height)
            let total = obstacles.cost(of: box, ignoring: nil, placed: placed)
            if total < best?.cost ?? .infinity { best = (box, total) }
        }
        return best
    }
}
