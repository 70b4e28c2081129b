// The terminal's character grid: display widths, sanitising and truncation of text, and ANSI serialisation.

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
