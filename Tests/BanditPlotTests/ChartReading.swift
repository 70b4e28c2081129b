// Reads a terminal chart back (cells, colours, axes, lit braille dots) and works out the scale it must use.

import BanditPlot

/// One braille dot in plot coordinates: x from the plot's left edge, y from its top, two by four per cell.
struct Dot: Hashable, CustomStringConvertible {
    var x: Int
    var y: Int

    var description: String { "(\(x), \(y))" }
}

/// A terminal chart as a grid of characters and colours, with the plot area located by its axis glyphs.
struct ChartReading {
    struct Cell: Equatable {
        var character: Character
        var color: Int?
    }

    let rows: [[Cell]]
    let width: Int
    /// The x axis row: the one whose axis column holds "└".
    let axisRow: Int
    let axisColumn: Int
    /// The first plot row: the top of the run of "│" and "┤" above the corner.
    let plotTop: Int

    var plotLeft: Int { axisColumn + 1 }
    var plotRows: Int { axisRow - plotTop }
    var plotColumns: Int { width - plotLeft }

    /// nil when the text has no x axis corner.
    init?(_ text: String, width: Int) {
        self.width = width
        rows = text.split(separator: "\n", omittingEmptySubsequences: false).map(Self.cells)
        guard let row = rows.firstIndex(where: { $0.contains { $0.character == "└" } }),
              let column = rows[row].firstIndex(where: { $0.character == "└" }) else { return nil }
        (axisRow, axisColumn) = (row, column)
        var top = row
        while top > 0, ["│", "┤"].contains(rows[top - 1].count > column ? rows[top - 1][column].character : " ") { top -= 1 }
        plotTop = top
    }

    /// A line's characters with the colour each is drawn in, read from its 256-colour SGR escapes.
    static func cells(_ line: Substring) -> [Cell] {
        var cells: [Cell] = []
        var color: Int? = nil
        var rest = line[...]
        while let character = rest.first {
            if character == "\u{1B}", let end = rest.firstIndex(of: "m") {
                let code = rest[rest.index(rest.startIndex, offsetBy: 2)..<end]
                color = code.hasPrefix("38;5;") ? Int(code.dropFirst(5)) : nil
                rest = rest[rest.index(after: end)...]
                continue
            }
            cells.append(Cell(character: character, color: color))
            rest = rest.dropFirst()
        }
        return cells
    }

    /// The character at a screen position; a blank past a trimmed line's end.
    func character(row: Int, column: Int) -> Character { cell(row: row, column: column).character }

    func cell(row: Int, column: Int) -> Cell {
        guard row >= 0, row < rows.count, column >= 0, column < rows[row].count else { return Cell(character: " ") }
        return rows[row][column]
    }

    /// A plot cell, counted from the plot's top left.
    func plotCell(row: Int, column: Int) -> Cell { cell(row: plotTop + row, column: plotLeft + column) }

    /// The runs of non-blank characters on a screen row before `end`, with the column each starts at.
    func words(row: Int, before end: Int? = nil) -> [(start: Int, text: String)] {
        var words: [(start: Int, text: String)] = []
        for (column, cell) in rows[row].prefix(end ?? width).enumerated() {
            if cell.character == " " { continue }
            if let last = words.last, last.start + last.text.count == column {
                words[words.count - 1].text.append(cell.character)
            } else {
                words.append((column, String(cell.character)))
            }
        }
        return words
    }

    /// A whole screen row as text.
    func text(row: Int) -> String { String(rows[row].map(\.character)) }

    /// Every lit braille dot inside the plot, decoded by the Unicode braille layout: dots 1-2-3-7 down the left
    /// column are bits 0, 1, 2 and 6; dots 4-5-6-8 down the right are bits 3, 4, 5 and 7.
    var litDots: Set<Dot> {
        let bits: [(dx: Int, dy: Int, bit: UInt32)] = [(0, 0, 0x01), (0, 1, 0x02), (0, 2, 0x04), (0, 3, 0x40),
                                                       (1, 0, 0x08), (1, 1, 0x10), (1, 2, 0x20), (1, 3, 0x80)]
        var dots: Set<Dot> = []
        for row in 0..<plotRows {
            for column in 0..<plotColumns {
                guard let value = plotCell(row: row, column: column).character.unicodeScalars.first?.value,
                      (0x2800...0x28FF).contains(value) else { continue }
                for (dx, dy, bit) in bits where (value - 0x2800) & bit != 0 {
                    dots.insert(Dot(x: column * 2 + dx, y: row * 4 + dy))
                }
            }
        }
        return dots
    }
}

/// The mapping a terminal chart promises, computed from the data: x runs from the first day to the last across
/// the dot columns, y from the lowest to the highest value drawn (band edges and references included) widened
/// by 4 % of that span either side, from the bottom dot row up to the top one.
struct ExpectedTerminalScale {
    let dotColumns: Int
    let dotRows: Int
    let xLow: Double
    let xHigh: Double
    let yLow: Double
    let yHigh: Double

    init(_ spec: PlotSpec, plotColumns: Int, plotRows: Int) {
        dotColumns = plotColumns * 2
        dotRows = plotRows * 4
        var xs: [Double] = [], ys: [Double] = spec.references.map(\.y)
        for series in spec.series {
            for (index, point) in series.points.enumerated() {
                let half = series.band.map { abs($0[index]) } ?? 0
                xs.append(point.x)
                ys += [point.y - half, point.y + half]
            }
        }
        (xLow, xHigh) = (xs.min()!, xs.max()!)
        let (low, high) = (ys.min()!, ys.max()!)
        (yLow, yHigh) = (low - (high - low) * 0.04, high + (high - low) * 0.04)
    }

    /// The dot a data point is drawn at, rounded to the nearest.
    func dot(x: Double, y: Double) -> Dot {
        Dot(x: Int(((x - xLow) / (xHigh - xLow) * Double(dotColumns - 1)).rounded()),
            y: Int(((yHigh - y) / (yHigh - yLow) * Double(dotRows - 1)).rounded()))
    }

    func row(ofY y: Double) -> Int { dot(x: xLow, y: y).y / 4 }
    func column(ofX x: Double) -> Int { dot(x: x, y: yLow).x / 2 }

    /// The data value at a fractional dot row (0 at the top).
    func y(atDotRow dotRow: Double) -> Double { yHigh - dotRow / Double(dotRows - 1) * (yHigh - yLow) }

    /// The data x at a fractional dot column (0 at the left).
    func x(atDotColumn dotColumn: Double) -> Double { xLow + dotColumn / Double(dotColumns - 1) * (xHigh - xLow) }
}

/// Linear interpolation of per-day values at a fractional day, for points on days 1, 2, 3, …
func interpolated(_ values: [Double], atDay day: Double) -> Double {
    let lower = min(max(Int(day.rounded(.down)), 1), values.count - 1)
    let t = day - Double(lower)
    return values[lower - 1] + t * (values[lower] - values[lower - 1])
}

/// Distance from a dot to the segment between two dots, in dots.
func distance(_ dot: Dot, toSegment a: Dot, _ b: Dot) -> Double {
    let (px, py) = (Double(dot.x), Double(dot.y))
    let (ax, ay, bx, by) = (Double(a.x), Double(a.y), Double(b.x), Double(b.y))
    let length = (bx - ax) * (bx - ax) + (by - ay) * (by - ay)
    let t = length == 0 ? 0 : min(max(((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / length, 0), 1)
    let (cx, cy) = (ax + t * (bx - ax), ay + t * (by - ay))
    return ((px - cx) * (px - cx) + (py - cy) * (py - cy)).squareRoot()
}
