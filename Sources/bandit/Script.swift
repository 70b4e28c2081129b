// Non-interactive input: no prompt, no echo, plain output; the first error stops (unless --keep-going).

import BanditCommands
import BanditServer
import Foundation

enum Script {
    /// Runs the lines in order, each as soon as it is read; returns the exit status. `numbered`:
    /// errors say which line they come from.
    static func run(lines: some Sequence<String>, numbered: Bool, runner: Runner, keepGoing: Bool,
                    format: OutputFormat = .table) -> Int32 {
        var status: Int32 = 0
        var output = Output(terminal: false, format: format)
        for (number, line) in lines.enumerated() {
            var failed = false, quit = false, shown = false
            var files = ClientFiles(line: line)
            let notices = runner.run(line, progress: output.progressSink(), shouldStop: Interrupts.requested) { index, piece in
                if !shown { output.endProgress() }
                shown = true
                // A line stops at its first error: nothing of it comes after one.
                guard !failed else { return }
                // A file the client could not write fails the command as the daemon's errors do.
                if let error = piece.error ?? output.show(piece, command: index, files: &files) {
                    let location = numbered ? "line \(number + 1): " : ""
                    FileHandle.standardError.write(Data("bandit: \(location)\(echo(piece.command)): \(error)\n".utf8))
                    failed = true
                }
                if piece.quit { quit = true }
            }
            if !shown { output.endProgress() }
            // Notices are not the script's output: they go with its messages, on standard error.
            for notice in notices { FileHandle.standardError.write(Data("\(notice)\n".utf8)) }
            if failed {
                status = 1
                if !keepGoing { return status }
            }
            if quit { return status }
            if Interrupts.requested() { return 130 }
        }
        return status
    }
}
