// A job's progress as a terminal line (bar, percentage, rate, ETA) and, once done, how long it took.

import Foundation

/// Turns the progress of a line's jobs into what a terminal shows on standard error, as tqdm and
/// cargo do: `██████░░░░  42%  6/14 days  2.1 days/s  ETA 0:04  runs 40 days 14`, then, when a job
/// has taken a while, `runs 40 days 14: 14 days in 6.7 s (2.1 days/s)`. Pure: the caller says what
/// time it is (seconds on any steady clock), so that tests can play any timing.
public struct ProgressMeter: Sendable {
    /// The bar's cells.
    public static let barWidth = 30
    /// A job that took less says nothing at its end: a day played in a blink needs no line.
    public static let summaryThreshold = 1.0

    /// The job being measured, by its label; nil before the first.
    private var label: String?
    /// When the job being measured started (or was first seen), and its days done then.
    private var start: Double
    private var startDone = 0
    /// When the next job of the line starts, as far as can be told: when the line began, then when the last job ended.
    private var anchor: Double
    private var lastDone = 0
    private var finished = false

    /// A meter for a line that starts at `now`.
    public init(now: Double) {
        start = now
        anchor = now
    }

    /// What to write for `progress` at time `now` on a terminal `columns` wide: a bar that
    /// replaces the last one on its line, a note on a line of its own, or, at a job's end, the bar
    /// erased and (after `summaryThreshold`) the line that says how long the job took.
    public mutating func update(_ progress: JobProgress, now: Double, columns: Int) -> String {
        if let note = progress.note { return "\r\u{1b}[2K" + note + "\n" }
        guard progress.total > 0 else { return "" }
        if finished || progress.label != label || progress.done < lastDone {
            label = progress.label
            finished = false
            // A job met at its first day started when the line (or the job before it) did; one met
            // further on (`wait`, `resume`) is measured from now.
            if progress.done <= 1 {
                start = anchor
                startDone = 0
            } else {
                start = now
                startDone = progress.done
            }
        }
        lastDone = progress.done
        let elapsed = max(0, now - start), played = progress.done - startDone
        let rate = played > 0 && elapsed > 0 ? Double(played) / elapsed : nil
        guard progress.done < progress.total else {
            finished = true
            anchor = now
            guard elapsed >= Self.summaryThreshold, played > 0 else { return "\r\u{1b}[2K" }
            let days = played == 1 ? "1 day" : "\(played) days"
            return "\r\u{1b}[2K\(progress.label): \(days) in \(Self.duration(elapsed))" + (rate.map { " (\(Self.rate($0)))" } ?? "") + "\n"
        }
        let filled = Self.barWidth * progress.done / progress.total
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: Self.barWidth - filled)
        let percent = String(repeating: " ", count: 3 - "\(100 * progress.done / progress.total)".count) + "\(100 * progress.done / progress.total)%"
        var line = "\(bar) \(percent)  \(progress.done)/\(progress.total) days"
        if let rate { line += "  \(Self.rate(rate))  ETA \(Self.clock(Double(progress.total - progress.done) / rate))" }
        line += "  " + progress.label
        // A line longer than the terminal would wrap, and the next `\r` would not go back over it.
        return "\r" + String(line.prefix(max(1, columns - 1))) + "\u{1b}[K"
    }

    /// Days per second, or seconds per day when a day takes longer than a second (as tqdm's `s/it`).
    public static func rate(_ daysPerSecond: Double) -> String {
        switch daysPerSecond {
        case 100...: String(format: "%.0f days/s", daysPerSecond)
        case 1...: String(format: "%.1f days/s", daysPerSecond)
        default: String(format: "%.1f s/day", 1 / daysPerSecond)
        }
    }

    /// A time left as a clock: `0:04`, `12:30`, `1:02:03`.
    public static func clock(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.up).clamped(to: 0...Double(Int32.max)))
        let h = total / 3600, m = total / 60 % 60, s = total % 60
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }

    /// A time taken: `0.4 s`, `12.4 s`, `2 min 5 s`, `1 h 2 min`.
    public static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let total = Int(seconds.rounded())
        return total < 3600 ? "\(total / 60) min \(total % 60) s" : "\(total / 3600) h \(total / 60 % 60) min"
    }
}

private extension Double {
    func clamped(to range: ClosedRange<Double>) -> Double { Swift.min(Swift.max(self, range.lowerBound), range.upperBound) }
}
