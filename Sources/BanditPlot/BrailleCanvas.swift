// Braille dots for the terminal chart: 2×4 dots per cell, Bresenham lines, and which series drew each cell.

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
