// The SVG renderer's entry point (a matplotlib-looking standalone figure), its style, text widths and escaping.

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

    // The legend: a row per series, each with a swatch of its line and band, padded inside a frame.
    static let legendRowHeight = 20.0
    static let swatchWidth = 30.0
    static let legendPadding = 8.0

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

    /// `text` at `size`, shrunk to fit `room` pixels but not below `minimumSize`, and past that cut with "…".
    static func fitted(_ text: String, size: Double, minimumSize: Double, room: Double) -> (text: String, size: Double) {
        let natural = textWidth(text, size: size)
        guard natural > room else { return (text, size) }
        let size = max(minimumSize, size * room / max(natural, 1))
        guard textWidth(text, size: size) > room else { return (text, size) }
        var shown = text
        while !shown.isEmpty, textWidth(shown + "…", size: size) > room { shown.removeLast() }
        return (shown + "…", size)
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
