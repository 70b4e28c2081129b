// Everything the REPL writes to the terminal: replies, tables, plots and progress bars.

import BanditCommands
import BanditPlot
import BanditServer
import Foundation

/// Renders replies for a terminal or for plain output (pipes, files).
struct Output: Sendable {
    /// Standard output is a terminal (colours and charts allowed).
    let terminal: Bool

    /// Shows a reply of the line's command number `index`, writing the files it carries at the paths
    /// `files` has for that command (the ones its user typed); returns the error sentence of a file
    /// that was refused or could not be written (the command failed then, as if the daemon had said so).
    func show(_ reply: Reply, command index: Int, files: inout ClientFiles) -> String? {
        let text: String
        switch reply {
        case .plot(let request) where request.svg:
            return write(to: index, of: &files) { path in (SVGPlot.render(Self.spec(request)), "wrote \(path)") }
        case .plot(let request):
            text = plot(request)
        case .file(let file):
            return write(to: index, of: &files) { path in (file.contents, "wrote \(file.summary) to \(path)") }
        case .sequence(let replies):
            for reply in replies {
                if let error = show(reply, command: index, files: &files) { return error }
            }
            return nil
        default: text = reply.plainText
        }
        // A piece of a table stands for lines of the whole: it prints even when they are blank.
        var piece = false
        if case .table(let table) = reply { piece = table.chunk != nil }
        if !text.isEmpty || piece {
            print(text)
            fflush(nil)
        }
        return nil
    }

    /// Writes a file of command `index` at the path its user typed: `file` gives the contents and
    /// the line to say once written. Nothing is written for a command that typed no path.
    private func write(to index: Int, of files: inout ClientFiles, _ file: (String) -> (contents: String, done: String)) -> String? {
        let path: String
        do {
            path = try files.path(for: index)
        } catch {
            return error.description
        }
        let (contents, done) = file(path)
        return write(contents, to: path, then: done)
    }

    /// Writes `contents` to `path` whole (a reader never sees half a file), then says `done`.
    private func write(_ contents: String, to path: String, then done: String) -> String? {
        do {
            try Data(contents.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            return "cannot write \(path): \(fileErrorReason(error, path: path))"
        }
        print(done)
        fflush(nil)
        return nil
    }

    /// A chart on the terminal, sized to it, coloured unless NO_COLOR is set.
    func plot(_ request: PlotRequest) -> String {
        let spec = Self.spec(request)
        var size = winsize()
        let sized = terminal && ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0
        let width = sized ? Int(size.ws_col) : 80, height = sized ? max(12, Int(size.ws_row) - 2) : 24
        let color = terminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        return TerminalPlot.render(spec, width: width, height: height, color: color)
    }

    /// The notebook's figure: mean per day with a ±1 SE band, and each result's asymptote.
    static func spec(_ request: PlotRequest) -> PlotSpec {
        let series = request.series.map { s in
            PlotSeries(label: s.label, points: s.mean.enumerated().map { PlotPoint(x: Double($0.offset + 1), y: $0.element) },
                       band: s.standardError)
        }
        var references = request.series.enumerated().compactMap { index, s in
            s.asymptote.map { ReferenceLine(y: $0, label: "asymptote, mean viewing time = \(String(format: "%.2f", $0))", series: index) }
        }
        if let reference = request.reference { references.append(ReferenceLine(y: reference.value, label: reference.label)) }
        return PlotSpec(title: request.title, series: series, references: references)
    }

    /// Erases a progress bar left on the terminal by a command that ended early (Ctrl-C, error).
    func endProgress() {
        if isatty(STDERR_FILENO) == 1 { FileHandle.standardError.write(Data("\r\u{1b}[2K".utf8)) }
    }

    /// A progress bar on standard error when it is a terminal; nothing otherwise.
    /// Notes (what a large job will take) go to standard error whatever it is.
    func progressSink() -> (@Sendable (JobProgress) -> Void)? {
        guard isatty(STDERR_FILENO) == 1 else {
            return { progress in
                if let note = progress.note { FileHandle.standardError.write(Data((note + "\n").utf8)) }
            }
        }
        return { progress in
            if let note = progress.note {
                FileHandle.standardError.write(Data(("\r\u{1b}[2K" + note + "\n").utf8))
                return
            }
            let width = 30
            let filled = progress.total > 0 ? width * progress.done / progress.total : 0
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            var line = "\r\(bar) \(progress.done)/\(progress.total) days  \(progress.label)"
            if progress.done >= progress.total { line = "\r\u{1b}[2K" }
            FileHandle.standardError.write(Data(line.utf8))
        }
    }
}
