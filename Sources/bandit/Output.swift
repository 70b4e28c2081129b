// Everything the REPL writes to the terminal: replies, tables, plots and progress bars.

import BanditCommands
import BanditPlot
import BanditServer
import Foundation
import Synchronization

/// Renders replies for a terminal or for plain output (pipes, files). Owned by the thread that
/// shows the replies (the REPL's or the script's).
struct Output: Sendable {
    /// Standard output is a terminal (colours and charts allowed).
    let terminal: Bool
    /// How replies are written: set by `--format`, then by the `format` command.
    var format: OutputFormat = .table
    /// Tables written as CSV so far: the next one is set apart by a blank line.
    private var tablesWritten = 0

    init(terminal: Bool, format: OutputFormat = .table) {
        self.terminal = terminal
        self.format = format
    }

    /// Shows the reply (or piece of it) in `outcome`, of the line's command number `index`, writing
    /// the files it carries at the paths `files` has for that command (the ones its user typed);
    /// returns the error sentence of a file that was refused or could not be written (the command
    /// failed then, as if the daemon had said so).
    mutating func show(_ outcome: Outcome, command index: Int, files: inout ClientFiles) -> String? {
        show(outcome.reply, of: outcome.command, index: index, files: &files)
    }

    private mutating func show(_ reply: Reply, of command: String, index: Int, files: inout ClientFiles) -> String? {
        switch reply {
        case .plot(let request) where request.svg:
            return write(to: index, of: command, files: &files) { path in (SVGPlot.render(Self.spec(request)), "wrote \(path)") }
        case .plot(let request) where format != .table:
            // Scripts get the numbers of the chart, as the table a pipe shows.
            show(request.fallbackTable, of: command)
        case .plot(let request):
            say(plot(request), of: command)
        case .file(let file):
            return write(to: index, of: command, files: &files) { path in (file.contents, "wrote \(file.summary) to \(path)") }
        case .sequence(let replies):
            for reply in replies {
                if let error = show(reply, of: command, index: index, files: &files) { return error }
            }
        case .table(let table):
            show(table, of: command)
        case .text(let text):
            say(text, of: command)
        case .format(let format):
            self.format = format
            tablesWritten = 0
        }
        return nil
    }

    /// A table, or a piece of one, in the output's format.
    private mutating func show(_ table: Table, of command: String) {
        switch format {
        case .table:
            // A piece of a table stands for lines of the whole: it prints even when they are blank.
            print(table.rendered())
        case .json:
            // A piece that does not close the table leaves its line open for the next.
            print(table.json(command: command), terminator: "")
        case .csv:
            let opens = table.chunk?.showsHeading ?? true
            if opens && tablesWritten > 0 { print("") }
            if opens { tablesWritten += 1 }
            print(table.csv(), terminator: "")
        }
        fflush(nil)
    }

    /// A sentence (or a chart) in the output's format: JSON wraps it in an object; a table and CSV
    /// show it as it is. An empty one shows nothing.
    private func say(_ text: String, of command: String) {
        guard !text.isEmpty else { return }
        print(format == .json ? jsonText(text, command: command) : text + "\n", terminator: "")
        fflush(nil)
    }

    /// Writes a file of command `index` at the path its user typed: `file` gives the contents and
    /// the line to say once written. Nothing is written for a command that typed no path.
    private func write(to index: Int, of command: String, files: inout ClientFiles,
                       _ file: (String) -> (contents: String, done: String)) -> String? {
        let path: String
        do {
            path = try files.path(for: index)
        } catch {
            return error.description
        }
        let (contents, done) = file(path)
        return write(contents, to: path, then: done, of: command)
    }

    /// Writes `contents` to `path` whole (a reader never sees half a file), then says `done`.
    private func write(_ contents: String, to path: String, then done: String, of command: String) -> String? {
        do {
            try Data(contents.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            return "cannot write \(path): \(fileErrorReason(error, path: path))"
        }
        say(done, of: command)
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

    /// The most curves whose asymptotes are drawn and labelled: beyond it the labels would pile up
    /// on each other (the asymptotes are in the compare's reply and `stats`).
    static let labelledAsymptotes = 3

    /// The notebook's figure: mean per day with a ±1 SE band, and each result's asymptote (up to
    /// `labelledAsymptotes` curves).
    static func spec(_ request: PlotRequest) -> PlotSpec {
        let series = request.series.map { s in
            PlotSeries(label: s.label, points: s.mean.enumerated().map { PlotPoint(x: Double($0.offset + 1), y: $0.element) },
                       band: s.standardError)
        }
        let labelled = request.series.count <= Self.labelledAsymptotes ? request.series : []
        var references = labelled.enumerated().compactMap { index, s in
            s.asymptote.map { ReferenceLine(y: $0, label: "asymptote, mean viewing time = \(String(format: "%.2f", $0))", series: index) }
        }
        if let reference = request.reference { references.append(ReferenceLine(y: reference.value, label: reference.label)) }
        var spec = PlotSpec(title: request.title, series: series, references: references)
        if let xLabel = request.xLabel { spec.xLabel = xLabel }
        if let bandLabel = request.bandLabel { spec.bandLabel = bandLabel }
        return spec
    }

    /// Erases a progress bar left on the terminal by a command that ended early (Ctrl-C, error).
    func endProgress() {
        if isatty(STDERR_FILENO) == 1 { FileHandle.standardError.write(Data("\r\u{1b}[2K".utf8)) }
    }

    /// A progress bar on standard error when it is a terminal (percentage, rate, ETA; at the end of
    /// a job that took a while, how long it took); nothing otherwise. Make one per line: it measures
    /// the line's jobs from now. Notes (what a large job will take) go to standard error whatever it is.
    func progressSink() -> (@Sendable (JobProgress) -> Void)? {
        guard isatty(STDERR_FILENO) == 1 else {
            return { progress in
                if let note = progress.note { FileHandle.standardError.write(Data((note + "\n").utf8)) }
            }
        }
        let origin = ContinuousClock.now
        // Progress comes on the thread that plays the job (in this process) or reads the daemon.
        let meter = Mutex(ProgressMeter(now: 0))
        return { progress in
            var size = winsize()
            let columns = ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
            let elapsed = ContinuousClock.now - origin
            let now = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let text = meter.withLock { $0.update(progress, now: now, columns: columns) }
            if !text.isEmpty { FileHandle.standardError.write(Data(text.utf8)) }
        }
    }
}
