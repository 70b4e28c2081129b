// A runner made on the first line that needs one: help needs no daemon and no state directory.

import BanditCommands
import BanditServer

/// Answers lines made only of `help` from the command table, in this process; the first other line
/// (or a completion that needs the experiments' names) makes the real runner with `make`, which
/// creates the state directory and starts or reaches the daemon. So `bandit -c 'help new'`, a
/// script of help and the REPL's first `help` leave no trace. Owned by the thread that runs lines.
final class DeferredRunner: Runner {
    private var made: Runner?
    private let make: () -> Runner
    /// The experiment to choose as soon as the runner is made (the REPL's last one), shown in the
    /// prompt meanwhile; and what became of it, told with the first line's notices.
    private var pending: String?
    private var pendingNotice: String?

    init(make: @escaping () -> Runner) { self.make = make }

    /// Chooses `name` once there is a runner, without making one now.
    func useLater(_ name: String) { pending = name }

    private var runner: Runner {
        if let made { return made }
        let runner = make()
        made = runner
        if let name = pending, let error = runner.use(name) {
            // Dropped since: the REPL goes on without a current experiment, as it would have started.
            pendingNotice = "could not use \(name) again: \(error)"
        }
        pending = nil
        return runner
    }

    var prompt: String { made?.prompt ?? Interpreter.prompt(current: pending) }

    func run(_ line: String, progress: (@Sendable (JobProgress) -> Void)?, shouldStop: @escaping @Sendable () -> Bool,
             show: (Int, Outcome) -> Void) -> [String] {
        // Once there is a runner, everything goes to it: it may have notices to give with any line.
        if made == nil, let outcomes = Interpreter.helpOnly(line) {
            for (index, outcome) in outcomes.enumerated() {
                for piece in Wire.parts(of: outcome, line: line) { show(index, piece) }
            }
            return []
        }
        let runner = runner
        defer { pendingNotice = nil }
        return (pendingNotice.map { [$0] } ?? []) + runner.run(line, progress: progress, shouldStop: shouldStop, show: show)
    }

    func complete(_ line: String) -> Completion {
        if let made { return made.complete(line) }
        var needsNames = false
        let local = Command.complete(line) {
            needsNames = true
            return []
        }
        return needsNames ? runner.complete(line) : local
    }

    func close() { made?.close() }
}
