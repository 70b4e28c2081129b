// Non-interactive input: no prompt, no echo, plain output; the first error stops (unless --keep-going).

import BanditCommands
import BanditServer
import Foundation

enum Script {
    /// Runs the lines in order, each as soon as it is read; returns the exit status. `numbered`:
    /// errors say which line they come from. With `keepGoing`, an error stops neither the script nor
    /// the rest of its line: each command of a line is sent on its own.
    static func run(lines: some Sequence<String>, numbered: Bool, runner: Runner, keepGoing: Bool,
                    format: OutputFormat = .table) -> Int32 {
        var status: Int32 = 0
        var output = Output(terminal: false, format: format)
        for (number, line) in lines.enumerated() {
            let location = numbered ? "line \(number + 1): " : ""
            for text in keepGoing ? commands(of: line) : [line] {
                let (failed, quit) = run(text, location: location, runner: runner, output: &output)
                if failed {
                    status = 1
                    if !keepGoing { return status }
                }
                if quit { return status }
                if Interrupts.requested() { return 130 }
            }
        }
        return status
    }

    /// Each command of a line as a line of its own; the line itself when it does not parse (its
    /// error is then reported as usual) or a word cannot be quoted again.
    static func commands(of line: String) -> [String] {
        do {
            let texts = try parseLine(line).map(\.line)
            return texts.contains(nil) || texts.isEmpty ? [line] : texts.map { $0! }
        } catch {
            return [line]
        }
    }

    /// Runs one line: its replies on standard output, its errors and notices on standard error.
    /// Whether it failed, and whether it asked to quit.
    private static func run(_ text: String, location: String, runner: Runner, output: inout Output) -> (failed: Bool, quit: Bool) {
        var failed = false, quit = false, shown = false
        var files = ClientFiles(line: text)
        let notices = runner.run(text, progress: output.progressSink(), shouldStop: Interrupts.requested) { index, piece in
            if !shown { output.endProgress() }
            shown = true
            // A line stops at its first error: nothing of it comes after one.
            guard !failed else { return }
            // A file the client could not write fails the command as the daemon's errors do.
            if let error = piece.error ?? output.show(piece, command: index, files: &files) {
                // The command, unless the error already names it ("unknown command: bogus" after "bogus").
                let command = echo(piece.command)
                let named = error.hasPrefix("unknown command: \(command) ") ? "" : "\(command): "
                FileHandle.standardError.write(Data("bandit: \(location)\(named)\(error)\n".utf8))
                failed = true
            }
            if piece.quit { quit = true }
        }
        if !shown { output.endProgress() }
        // Notices are not the script's output: they go with its messages, on standard error.
        for notice in notices { FileHandle.standardError.write(Data("\(notice)\n".utf8)) }
        return (failed, quit)
    }
}
