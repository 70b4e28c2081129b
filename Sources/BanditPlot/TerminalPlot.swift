// The terminal renderer: braille learning curves over shaded ±SE bands, dashed references, axes and a legend.

/// Draws a `PlotSpec` as text for a terminal, exactly as large as asked.
public enum TerminalPlot {
    /// Below this many columns the output is a one-line note instead of a chart.
    public static let minimumWidth = 30
    /// Below this many rows the output is a one-line note instead of a chart.
    public static let minimumHeight = 8

    /// A chart `width` columns by `height` rows (the whole output, legend and axes included).
    /// color: ANSI colours when true; plain characters only when false (NO_COLOR / not a TTY — the caller decides).
    /// Lines are separated by "\n" with no newline after the last; trailing blanks are trimmed.
    public static func render(_ spec: PlotSpec, width: Int, height: Int, color: Bool) -> String {
        guard width > 0, height > 0 else { return "" }
        guard width >= minimumWidth, height >= minimumHeight else {
            let note = "plot needs \(minimumWidth)x\(minimumHeight), got \(width)x\(height)"
            var screen = Screen(width: width, height: 1)
            screen.write(note, row: 0, column: 0, limit: width)
            return screen.serialized(color: false)
        }
        return TerminalChart(spec: spec, width: width, height: height, color: color).render()
    }
}

// MARK: - Palette and glyphs

/// Glyphs and colours; the palette is the xterm-256 cube's nearest match to matplotlib's tab10.
enum TerminalStyle {
    static let palette = [31, 208, 34, 160, 97, 95, 176, 244, 142, 38]
    static let neutral = 246
    /// Plain mode tells series apart by these marks at data points; series 0 is the bare braille line.
    static let markers = ["•", "+", "x", "o", "*", "#", "@", "%", "&"]
    static let shade = "░"
    static let dash = "╌"

    static func color(ofSeries index: Int) -> Int { palette[index % palette.count] }
    static func marker(ofSeries index: Int) -> String? {
        index == 0 ? nil : markers[(index - 1) % markers.count]
    }
}

// MARK: - Output grid

/// One character cell; `text` is empty on the right half of a wide character.
struct Cell: Equatable {
    var text = " "
    var color: Int? = nil
}

/// A fixed grid of cells: writing into it can never exceed the requested size.
struct Screen {
    let width: Int
    let height: Int
    var cells: [[Cell]]

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        cells = Array(repeating: Array(repeating: Cell(), count: width), count: height)
    }

    /// Columns a character takes in a terminal: 2 for East Asian wide and emoji, else 1.
    static func columns(of character: Character) -> Int {
        guard let scalar = character.unicodeScalars.first else { return 0 }
        if scalar.value < 0x1100 { return 1 }
        if scalar.properties.isEmojiPresentation || character.unicodeScalars.contains(where: { $0.value == 0xFE0F }) {
            return 2
        }
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
             0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
             0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return 2
        default:
            return 1
        }
    }

    /// Display width of a string once control characters are blanked.
    static func columns(of text: String) -> Int {
        text.reduce(0) { $0 + columns(of: $1) }
    }

    /// Control characters would move the cursor or start escapes of their own: they become blanks.
    static func sanitized(_ character: Character) -> Character {
        character.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) } ? " " : character
    }

    /// `text` cut to `limit` columns, ending in "…" when something was dropped.
    static func truncated(_ text: String, to limit: Int) -> String {
        guard columns(of: text) > limit else { return text }
        guard limit > 0 else { return "" }
        var result = ""
        var used = 0
        for character in text {
            let width = columns(of: character)
            if used + width > limit - 1 { break }
            result.append(character)
            used += width
        }
        return result + "…"
    }

    /// Writes `text` from `column` on, stopping before `limit`; returns the column after the last cell written.
    @discardableResult
    mutating func write(_ text: String, row: Int, column: Int, limit: Int? = nil, color: Int? = nil) -> Int {
        guard row >= 0, row < height else { return column }
        let end = min(limit ?? width, width)
        var x = max(column, 0)
        for raw in text {
            let character = Screen.sanitized(raw)
            let span = Screen.columns(of: character)
            guard span > 0 else { continue }
            if x + span > end { break }
            place(Cell(text: String(character), color: color), row: row, column: x)
            if span == 2 { place(Cell(text: "", color: color), row: row, column: x + 1) }
            x += span
        }
        return x
    }

    /// One cell, for single-column glyphs only.
    mutating func set(_ glyph: String, row: Int, column: Int, color: Int? = nil) {
        guard row >= 0, row < height, column >= 0, column < width else { return }
        place(Cell(text: glyph, color: color), row: row, column: column)
    }

    /// Overwriting half of a wide character blanks its other half, so no line ever grows past `width`.
    private mutating func place(_ cell: Cell, row: Int, column: Int) {
        if cells[row][column].text.isEmpty, column > 0 { cells[row][column - 1] = Cell() }
        if column + 1 < width, cells[row][column + 1].text.isEmpty, !cell.text.isEmpty { cells[row][column + 1] = Cell() }
        cells[row][column] = cell
    }

    /// The grid as text; colours become 256-colour SGR codes, reset before each line ends.
    func serialized(color: Bool) -> String {
        var lines: [String] = []
        for row in cells {
            // Trailing uncoloured blanks carry nothing and would only make copied text ragged.
            var end = row.count
            while end > 0, row[end - 1].text == " ", row[end - 1].color == nil || !color { end -= 1 }
            var line = ""
            var current: Int? = nil
            for cell in row[..<end] {
                let wanted = color && cell.text != " " ? cell.color : nil
                if wanted != current {
                    if let wanted { line += "\u{1B}[38;5;\(wanted)m" } else { line += "\u{1B}[0m" }
                    current = wanted
                }
                line += cell.text
            }
            if current != nil { line += "\u{1B}[0m" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}

// MARK: - Braille canvas

/// A grid of braille cells, each 2 dots wide and 4 tall, remembering which series drew each cell last.
struct BrailleCanvas {
    let columns: Int
    let rows: Int
    private(set) var dots: [UInt8]
    private(set) var owner: [Int]

    init(columns: Int, rows: Int) {
        self.columns = columns
        self.rows = rows
        dots = Array(repeating: 0, count: columns * rows)
        owner = Array(repeating: -1, count: columns * rows)
    }

    var dotWidth: Int { columns * 2 }
    var dotHeight: Int { rows * 4 }

    /// Bit of dot (dx, dy) inside a cell, per the Unicode braille layout (dots 7 and 8 were added last).
    private static let bits: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]

    mutating func plot(x: Int, y: Int, series: Int) {
        guard x >= 0, x < dotWidth, y >= 0, y < dotHeight else { return }
        let index = (y / 4) * columns + x / 2
        dots[index] |= Self.bits[x % 2][y % 4]
        owner[index] = series
    }

    /// Bresenham's line, so steep segments stay connected.
    mutating func line(from start: (Int, Int), to end: (Int, Int), series: Int) {
        var (x, y) = start
        let dx = abs(end.0 - x), dy = -abs(end.1 - y)
        let sx = x < end.0 ? 1 : -1, sy = y < end.1 ? 1 : -1
        var error = dx + dy
        // The dot grid bounds the walk, which guards against absurd coordinates.
        for _ in 0...(dotWidth + dotHeight + 2) {
            plot(x: x, y: y, series: series)
            if x == end.0, y == end.1 { return }
            let doubled = 2 * error
            if doubled >= dy { error += dy; x += sx }
            if doubled <= dx { error += dx; y += sy }
        }
    }

    /// A lone point gets a 2×2 blob: a single dot is too easy to miss.
    mutating func blob(x: Int, y: Int, series: Int) {
        for (ox, oy) in [(0, 0), (1, 0), (0, 1), (1, 1)] { plot(x: x + ox, y: y + oy, series: series) }
    }

    func glyph(at index: Int) -> String? {
        dots[index] == 0 ? nil : String(Character(Unicode.Scalar(0x2800 + UInt32(dots[index])) ?? " "))
    }
}

// MARK: - Layout and drawing

/// One render: the layout worked out from the spec and size, then drawn into a `Screen`.
struct TerminalChart {
    let spec: PlotSpec
    let width: Int
    let height: Int
    let color: Bool

    /// What occupies a plot cell, for drawing and for placing annotations where they hide least.
    private enum Layer: Equatable {
        case empty
        case band(Int)
        case reference(Int)
        case line(Int)
        case marker(Int)
        case label
    }

    func render() -> String {
        let runs = spec.cleanedRuns
        let extent = spec.extent(of: runs)
        var screen = Screen(width: width, height: height)

        // Rows, top to bottom: title, y title, plot, x axis, x tick labels, x title, legend.
        let title = spec.title.isEmpty ? 0 : 1
        let yTitle = spec.yLabel.isEmpty ? 0 : 1
        let xTitle = spec.xLabel.isEmpty ? 0 : 1
        let legend = spec.series.isEmpty ? 0 : 1
        let plotTop = title + yTitle
        let plotRows = height - (title + yTitle + 2 + xTitle + legend)

        // Rows are scarce, so the axis spans the data plus a margin and the round ticks fall inside it,
        // two and a half rows (ten dots) apart so labels never crowd; a very short plot settles for one row.
        var (yLow, yHigh) = paddedRange(extent.yMin, extent.yMax, fraction: 0.04)
        let dotRows = Double(plotRows * 4 - 1)
        var yTicks = Ticks.inside(yLow, yHigh, minimumStep: (yHigh - yLow) * 10 / dotRows, integral: false)
        if yTicks.values.count < 2 {
            yTicks = Ticks.inside(yLow, yHigh, minimumStep: (yHigh - yLow) * 4 / dotRows, integral: false)
        }
        if yTicks.values.count < 2 {
            yTicks = Ticks.covering(yLow, yHigh, maxCount: plotRows / 2 + 1)
            (yLow, yHigh) = (yTicks.lower, yTicks.upper)
        }
        let yLabels = yTicks.labels.map { Screen.truncated($0, to: width / 3) }
        let labelWidth = yLabels.map { Screen.columns(of: $0) }.max() ?? 1
        let axisColumn = labelWidth + 1
        let plotLeft = axisColumn + 1
        let plotColumns = width - plotLeft

        var canvas = BrailleCanvas(columns: plotColumns, rows: plotRows)
        let yMap = LinearMap(domain: (yLow, yHigh), range: (Double(canvas.dotHeight - 1), 0))
        let (xLow, xHigh) = dayRange(extent.xMin, extent.xMax)
        let xMap = LinearMap(domain: (xLow, xHigh), range: (0, Double(canvas.dotWidth - 1)))

        var layers = Array(repeating: Layer.empty, count: plotColumns * plotRows)

        // Bands first, so every line is drawn over every band, as matplotlib's zorder has it.
        for (index, series) in spec.series.enumerated() where series.hasBand {
            for run in runs[index] {
                shade(run, series: index, xMap: xMap, yMap: yMap, canvas: canvas, layers: &layers)
            }
        }

        var references: [(row: Int, color: Int)] = []
        for line in spec.references where line.y.isFinite {
            let row = min(max(yMap(line.y).clampedInt / 4, 0), plotRows - 1)
            let lineColor = line.series.flatMap { $0 >= 0 && $0 < spec.series.count ? TerminalStyle.color(ofSeries: $0) : nil }
                ?? TerminalStyle.neutral
            references.append((row, lineColor))
            for column in 0..<plotColumns { layers[row * plotColumns + column] = .reference(references.count - 1) }
        }

        var markers: [Int: Int] = [:]
        for (index, seriesRuns) in runs.enumerated() {
            for run in seriesRuns {
                let dots = run.map { (xMap($0.x).clampedInt, yMap($0.y).clampedInt) }
                if dots.count == 1 {
                    canvas.blob(x: dots[0].0, y: dots[0].1, series: index)
                } else {
                    for (from, to) in zip(dots, dots.dropFirst()) { canvas.line(from: from, to: to, series: index) }
                }
                if !color, TerminalStyle.marker(ofSeries: index) != nil {
                    for (x, y) in dots where x >= 0 && x < canvas.dotWidth && y >= 0 && y < canvas.dotHeight {
                        markers[(y / 4) * plotColumns + x / 2] = index
                    }
                }
            }
        }
        for cell in layers.indices where canvas.owner[cell] >= 0 { layers[cell] = .line(canvas.owner[cell]) }
        for (cell, index) in markers { layers[cell] = .marker(index) }

        // The plot area proper.
        for row in 0..<plotRows {
            for column in 0..<plotColumns {
                let cell = row * plotColumns + column
                let (glyph, glyphColor): (String, Int?) = switch layers[cell] {
                case .empty, .label: (" ", nil)
                case .band(let s): (TerminalStyle.shade, TerminalStyle.color(ofSeries: s))
                case .reference(let r): (TerminalStyle.dash, references[r].color)
                case .line(let s): (canvas.glyph(at: cell) ?? " ", TerminalStyle.color(ofSeries: s))
                case .marker(let s): (TerminalStyle.marker(ofSeries: s) ?? "•", TerminalStyle.color(ofSeries: s))
                }
                screen.set(glyph, row: plotTop + row, column: plotLeft + column, color: glyphColor)
            }
        }

        // Annotations go where they cover the least: lines and markers cost most, bands a little.
        for (index, line) in spec.references.filter({ $0.y.isFinite }).enumerated() {
            let (row, lineColor) = references[index]
            let text = Screen.truncated(line.label, to: max(plotColumns - 4, 1))
            let span = Screen.columns(of: text)
            var best: (cost: Int, row: Int, column: Int, text: String)? = nil
            let right = max(plotColumns - span - 1, 0)
            let candidates = [(row - 1, right, text), (row + 1, right, text), (row - 1, 1, text), (row + 1, 1, text),
                              (row, max(right - 1, 0), " " + text + " "), (row, 1, " " + text + " ")]
            for (candidateRow, column, shown) in candidates where candidateRow >= 0 && candidateRow < plotRows {
                let shownSpan = Screen.columns(of: shown)
                var cost = 0
                for x in column..<min(column + shownSpan, plotColumns) {
                    switch layers[candidateRow * plotColumns + x] {
                    case .line, .marker: cost += 4
                    case .label: cost += 100
                    case .reference(let r) where r != index: cost += 2
                    case .band: cost += 1
                    default: break
                    }
                }
                if cost < best?.cost ?? Int.max { best = (cost, candidateRow, column, shown) }
            }
            guard let best else { continue }
            let end = screen.write(best.text, row: plotTop + best.row, column: plotLeft + best.column,
                                   limit: width, color: lineColor)
            for x in best.column..<max(best.column, min(end - plotLeft, plotColumns)) {
                layers[best.row * plotColumns + x] = .label
            }
        }

        if !extent.hasData {
            let note = "no data"
            let column = plotLeft + max((plotColumns - note.count) / 2, 0)
            screen.write(note, row: plotTop + plotRows / 2, column: column, limit: width)
        }

        // Y axis with its tick labels.
        var tickRows: [Int: String] = [:]
        for (value, label) in zip(yTicks.values, yLabels) {
            tickRows[min(max(yMap(value).clampedInt / 4, 0), plotRows - 1)] = label
        }
        for row in 0..<plotRows {
            if let label = tickRows[row] {
                screen.write(label, row: plotTop + row, column: labelWidth - Screen.columns(of: label))
                screen.set("┤", row: plotTop + row, column: axisColumn)
            } else {
                screen.set("│", row: plotTop + row, column: axisColumn)
            }
        }

        // X axis: ticks on whole days, labels centred under them and skipped where they would collide.
        let axisRow = plotTop + plotRows
        screen.set("└", row: axisRow, column: axisColumn)
        for column in plotLeft..<width { screen.set("─", row: axisRow, column: column) }
        let sampleLabel = max(formatFixed(xLow, decimals: 0).count, formatFixed(xHigh, decimals: 0).count)
        let xTicks = Ticks.inside(xLow, xHigh, minimumStep: (xHigh - xLow) * Double(sampleLabel + 3) / Double(plotColumns),
                                  integral: true)
        var freeFrom = 0
        for (value, label) in zip(xTicks.values, xTicks.labels) {
            let column = plotLeft + min(max(xMap(value).clampedInt / 2, 0), plotColumns - 1)
            screen.set("┬", row: axisRow, column: column)
            let span = Screen.columns(of: label)
            let start = min(max(column - (span - 1) / 2, 0), width - span)
            guard start >= freeFrom else { continue }
            screen.write(label, row: axisRow + 1, column: start)
            freeFrom = start + span + 1
        }

        // Titles.
        if title == 1 {
            let text = Screen.truncated(spec.title, to: width)
            screen.write(text, row: 0, column: max((width - Screen.columns(of: text)) / 2, 0))
        }
        if yTitle == 1 {
            screen.write(Screen.truncated(spec.yLabel, to: width), row: title, column: 0)
        }
        if xTitle == 1 {
            let text = Screen.truncated(spec.xLabel, to: plotColumns)
            screen.write(text, row: axisRow + 2, column: plotLeft + max((plotColumns - Screen.columns(of: text)) / 2, 0))
        }

        // Legend: a sample of each series' line (with its plain-mode marker), then the band's meaning.
        if legend == 1 {
            var entries: [(sample: String, label: String, color: Int?)] = []
            for (index, series) in spec.series.enumerated() {
                let sample = TerminalStyle.marker(ofSeries: index).map { color ? "⠒⠒⠒" : "⠒\($0)⠒" } ?? "⠒⠒⠒"
                entries.append((sample, series.label, TerminalStyle.color(ofSeries: index)))
            }
            if spec.series.contains(where: \.hasBand) { entries.append(("░░", "±1 SE", nil)) }
            let total = entries.reduce(0) { $0 + Screen.columns(of: $1.sample) + 1 + Screen.columns(of: $1.label) + 3 } - 3
            let row = height - 1
            var column = total <= plotColumns ? plotLeft : 0
            for (offset, entry) in entries.enumerated() {
                if offset > 0 { column += 3 }
                column = screen.write(entry.sample, row: row, column: column, color: entry.color)
                column = screen.write(" " + entry.label, row: row, column: column)
            }
            // A legend wider than the terminal is cut, and says so.
            if total > width { screen.set("…", row: row, column: width - 1) }
        }

        return screen.serialized(color: color)
    }

    /// Marks the cells whose centres lie inside the run's band; the band is interpolated between points.
    private func shade(_ run: [Sample], series: Int, xMap: LinearMap, yMap: LinearMap,
                       canvas: BrailleCanvas, layers: inout [Layer]) {
        let points = run.map { (x: xMap($0.x), top: yMap($0.high), bottom: yMap($0.low)) }
        guard let first = points.first else { return }
        for column in 0..<canvas.columns {
            let centre = Double(column * 2) + 0.5
            var span: (top: Double, bottom: Double)? = nil
            if points.count == 1 {
                if (first.x / 2).rounded(.down) == Double(column) { span = (first.top, first.bottom) }
            } else {
                for (a, b) in zip(points, points.dropFirst()) {
                    let (left, right) = a.x <= b.x ? (a, b) : (b, a)
                    // Half a cell of slack lets the band reach the columns holding the run's end points.
                    guard centre >= left.x - 1, centre <= right.x + 1 else { continue }
                    let t = right.x > left.x ? min(max((centre - left.x) / (right.x - left.x), 0), 1) : 0
                    span = (left.top + t * (right.top - left.top), left.bottom + t * (right.bottom - left.bottom))
                    break
                }
            }
            guard let span else { continue }
            for row in 0..<canvas.rows {
                let middle = Double(row * 4) + 1.5
                if middle >= span.top, middle <= span.bottom { layers[row * canvas.columns + column] = .band(series) }
            }
        }
    }
}
