// The terminal renderer's entry point (braille curves over ±SE bands, dashed references), its palette and glyphs.

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
