// The terminal chart's plot area: ±SE bands, dashed references, braille series and the references' labels.

/// What occupies a plot cell, for drawing and for placing annotations where they hide least.
enum Layer: Equatable {
    case empty
    case band(Int)
    case reference(Int)
    case line(Int)
    case marker(Int)
    case label
}

/// The cells inside the axes, filled in matplotlib's zorder: bands, then references, then every series over
/// both. Owned by the one render that builds it.
struct PlotArea {
    let layout: TerminalLayout
    private(set) var layers: [Layer]
    private(set) var canvas: BrailleCanvas
    /// Plot row and colour of each finite reference line, in the spec's order.
    private(set) var references: [(row: Int, color: Int)] = []

    init(layout: TerminalLayout) {
        self.layout = layout
        layers = Array(repeating: .empty, count: layout.plotColumns * layout.plotRows)
        canvas = BrailleCanvas(columns: layout.plotColumns, rows: layout.plotRows)
    }

    private var columns: Int { layout.plotColumns }
    private var rows: Int { layout.plotRows }

    // MARK: Bands

    /// Shades the band of every series that has one; call first, so every line is drawn over every band.
    mutating func shadeBands(of spec: PlotSpec, runs: [[[Sample]]]) {
        for (index, series) in spec.series.enumerated() where series.hasBand {
            for run in runs[index] { shade(run, series: index) }
        }
    }

    /// Marks the cells whose centres lie inside the run's band.
    private mutating func shade(_ run: [Sample], series: Int) {
        let edges = run.map { (x: layout.xMap($0.x), top: layout.yMap($0.high), bottom: layout.yMap($0.low)) }
        guard !edges.isEmpty else { return }
        for column in 0..<columns {
            guard let span = Self.bandSpan(of: edges, inColumn: column) else { continue }
            for row in 0..<rows {
                let middle = Double(row * 4) + 1.5
                if middle >= span.top, middle <= span.bottom { layers[row * columns + column] = .band(series) }
            }
        }
    }

    /// The band's top and bottom (in dots) at a column's centre, interpolated between the run's points;
    /// nil where the run does not reach the column.
    private static func bandSpan(of edges: [(x: Double, top: Double, bottom: Double)],
                                 inColumn column: Int) -> (top: Double, bottom: Double)? {
        let centre = Double(column * 2) + 0.5
        if edges.count == 1 {
            let only = edges[0]
            return (only.x / 2).rounded(.down) == Double(column) ? (only.top, only.bottom) : nil
        }
        for (a, b) in zip(edges, edges.dropFirst()) {
            let (left, right) = a.x <= b.x ? (a, b) : (b, a)
            // Half a cell of slack lets the band reach the columns holding the run's end points.
            guard centre >= left.x - 1, centre <= right.x + 1 else { continue }
            let t = right.x > left.x ? min(max((centre - left.x) / (right.x - left.x), 0), 1) : 0
            return (left.top + t * (right.top - left.top), left.bottom + t * (right.bottom - left.bottom))
        }
        return nil
    }

    // MARK: References and series

    /// A dashed row across the plot for each finite reference, in its series' colour or neutral grey.
    mutating func markReferences(of spec: PlotSpec) {
        for line in spec.references where line.y.isFinite {
            let row = layout.row(ofY: line.y)
            let color = line.series.flatMap { $0 >= 0 && $0 < spec.series.count ? TerminalStyle.color(ofSeries: $0) : nil }
                ?? TerminalStyle.neutral
            references.append((row, color))
            for column in 0..<columns { layers[row * columns + column] = .reference(references.count - 1) }
        }
    }

    /// Each run as a braille polyline (a lone point as a blob); with `markers`, plain mode's mark at each point.
    mutating func drawSeries(_ runs: [[[Sample]]], markers: Bool) {
        var markerCells: [Int: Int] = [:]
        for (index, seriesRuns) in runs.enumerated() {
            for run in seriesRuns {
                let dots = run.map { (layout.xMap($0.x).clampedInt, layout.yMap($0.y).clampedInt) }
                if dots.count == 1 {
                    canvas.blob(x: dots[0].0, y: dots[0].1, series: index)
                } else {
                    for (from, to) in zip(dots, dots.dropFirst()) { canvas.line(from: from, to: to, series: index) }
                }
                guard markers, TerminalStyle.marker(ofSeries: index) != nil else { continue }
                for (x, y) in dots where x >= 0 && x < canvas.dotWidth && y >= 0 && y < canvas.dotHeight {
                    markerCells[(y / 4) * columns + x / 2] = index
                }
            }
        }
        for cell in layers.indices where canvas.owner[cell] >= 0 { layers[cell] = .line(canvas.owner[cell]) }
        for (cell, index) in markerCells { layers[cell] = .marker(index) }
    }

    // MARK: Output

    /// Every plot cell onto the screen, each as its top layer's glyph and colour.
    func paint(on screen: inout Screen) {
        for row in 0..<rows {
            for column in 0..<columns {
                let cell = row * columns + column
                let (glyph, color): (String, Int?) = switch layers[cell] {
                case .empty, .label: (" ", nil)
                case .band(let s): (TerminalStyle.shade, TerminalStyle.color(ofSeries: s))
                case .reference(let r): (TerminalStyle.dash, references[r].color)
                case .line(let s): (canvas.glyph(at: cell) ?? " ", TerminalStyle.color(ofSeries: s))
                case .marker(let s): (TerminalStyle.marker(ofSeries: s) ?? "•", TerminalStyle.color(ofSeries: s))
                }
                screen.set(glyph, row: layout.plotTop + row, column: layout.plotLeft + column, color: color)
            }
        }
    }

    /// Each finite reference's label, in its colour, at the candidate spot where it covers the least.
    mutating func labelReferences(of spec: PlotSpec, on screen: inout Screen) {
        for (index, line) in spec.references.filter({ $0.y.isFinite }).enumerated() {
            let (row, color) = references[index]
            let text = Screen.truncated(line.label, to: max(columns - 4, 1))
            guard let spot = cheapestSpot(for: text, nearRow: row, reference: index) else { continue }
            let end = screen.write(spot.text, row: layout.plotTop + spot.row, column: layout.plotLeft + spot.column,
                                   limit: layout.width, color: color)
            for x in spot.column..<max(spot.column, min(end - layout.plotLeft, columns)) {
                layers[spot.row * columns + x] = .label
            }
        }
    }

    /// Just above or below the line at its right or left end, else on the line itself padded with blanks.
    private func cheapestSpot(for text: String, nearRow row: Int,
                              reference: Int) -> (row: Int, column: Int, text: String)? {
        let right = max(columns - Screen.columns(of: text) - 1, 0)
        let candidates = [(row - 1, right, text), (row + 1, right, text), (row - 1, 1, text), (row + 1, 1, text),
                          (row, max(right - 1, 0), " " + text + " "), (row, 1, " " + text + " ")]
        var best: (cost: Int, row: Int, column: Int, text: String)? = nil
        for (candidateRow, column, shown) in candidates where candidateRow >= 0 && candidateRow < rows {
            let cost = cost(of: shown, row: candidateRow, column: column, reference: reference)
            if cost < best?.cost ?? Int.max { best = (cost, candidateRow, column, shown) }
        }
        return best.map { ($0.row, $0.column, $0.text) }
    }

    /// What a label would hide: other labels cost most, then lines and markers, other references, bands a little.
    private func cost(of text: String, row: Int, column: Int, reference: Int) -> Int {
        var cost = 0
        for x in column..<min(column + Screen.columns(of: text), columns) {
            switch layers[row * columns + x] {
            case .line, .marker: cost += 4
            case .label: cost += 100
            case .reference(let r) where r != reference: cost += 2
            case .band: cost += 1
            default: break
            }
        }
        return cost
    }
}
