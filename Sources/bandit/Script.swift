// Non-interactive input: no prompt, no echo, plain output; the first error stops (unless --keep-going).

import BanditCommands
import Foundation

enum Script {
    /// Runs the lines in order; returns the exit status.
    static func run(lines: [String], runner: Runner, keepGoing: Bool) -> Int32 {
        var status: Int32 = 0
        let output = Output(terminal: false)
        for (number, line) in lines.enumerated() {
            for outcome in runner.run(line, progress: output.progressSink(), shouldStop: Interrupts.requested) {
                output.endProgress()
                if let error = outcome.error {
                    let location = lines.count > 1 ? "line \(number + 1): " : ""
                    FileHandle.standardError.write(Data("bandit: \(location)\(outcome.command): \(error)\n".utf8))
                    status = 1
                    if !keepGoing { return status }
                } else {
                    output.show(outcome.reply)
                }
                if outcome.quit { return status }
            }
            if Interrupts.requested() { return 130 }
        }
        return status
    }
}
