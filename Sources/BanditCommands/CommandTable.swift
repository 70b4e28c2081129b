// The command table: every command of the language, once. Help, completion and the man page read it.

import BanditCore

/// Bounds of the protocol's sizes, checked when a command names them.
enum Limits {
    static let count = 1...1_000_000
    static let decisions = 1...10_000_000
    static let features = 1...World.maximumFeatures
    static let actions = 1...100_000
    static let seed = 0...Int(UInt32.max)
    static let noise = 0.0...100.0
    static let warmup = 0...1_000_000
    /// λ of the ridge regressions: positive, so that λI + XᵀX is invertible.
    static let ridge = 1e-12...1e12
}

extension Command {
    /// Every command, in the order help lists them; each lives in a file of its own under Commands/.
    public static let table: [Command] = [
        NewCommand.command, UseCommand.command, ExperimentsCommand.command, DropCommand.command, SeedCommand.command,
        WorldCommand.command, SetCommand.command, SettingsCommand.command, PolicyCommand.command, DayCommand.command,
        FitCommand.command, StepCommand.command, ResetCommand.command, RunsCommand.command, CompareCommand.command,
        JobsCommand.command, ResumeCommand.command, SweepCommand.command, ShardCommand.command, WaitCommand.command, CancelCommand.command, StatsCommand.command,
        BetasCommand.command, LogCommand.command, ImportCommand.command, EvaluateCommand.command, PlotCommand.command, ExportCommand.command, CheckCommand.command,
        FormatCommand.command,
        HelpCommand.command, HistoryCommand.command, ShutdownCommand.command, QuitCommand.command,
    ]

    /// Finds a command by name, alias or unique prefix.
    public static func resolve(_ word: String) throws(CommandError) -> Command {
        let key = word.lowercased()
        if let exact = table.first(where: { $0.name == key || $0.aliases.contains(key) }) { return exact }
        let matches = table.filter { $0.name.hasPrefix(key) || $0.aliases.contains { $0.hasPrefix(key) } }
        switch matches.count {
        case 1: return matches[0]
        case 0: throw .unknownCommand(word)
        default: throw .ambiguousCommand(word, matches.map(\.name).sorted())
        }
    }
}
