// history: the REPL's last lines, as a shell's `history`.

import BanditCore

enum HistoryCommand {
    static let count = Argument<Int>.integer("N", 1...100_000, default: 20, help: "lines (default 20)")

    static let command = Command(
        "history", arguments: [count],
        summary: "the REPL's last N lines",
        details: """
            Shows the last N lines typed at the REPL, numbered, oldest first (kept across sessions in \
            DIR/history, or $BANDIT_HISTFILE). Up and Down recall them, Ctrl-R searches them. The REPL \
            answers it itself; a script or -c has no history and is told so.
            """, examples: ["history", "history 100"], handler: run)

    /// Reached only from a script or `-c`: the REPL answers `history` without the daemon.
    static func run(_ call: inout Invocation) throws -> Reply {
        throw CommandError.failed("history is the REPL's: type it at the bandit> prompt")
    }
}

extension Command {
    /// For the REPL, which answers `history` itself: the number of lines a line made of one
    /// `history [N]` command asks for; nil for any other line; the usual error for a bad N.
    public static func historyRequest(_ line: String) throws(CommandError) -> Int? {
        let commands = try parseLine(line)
        guard commands.count == 1, let name = commands[0].words.first, !commands[0].background,
              let command = try? resolve(name), command.name == HistoryCommand.command.name else { return nil }
        let arguments = try bind(commands[0].words.dropFirst(), to: command)
        return HistoryCommand.count.read(arguments.values[HistoryCommand.count.spec.name] ?? [])
    }
}
