// `help` and `help COMMAND`, read from the command table.

enum Help {
    /// One line per command: its synopsis and summary.
    static func overview() -> String {
        let width = Command.table.map(\.synopsis.count).max() ?? 0
        let lines = Command.table.map { command in
            let also = command.aliases.isEmpty ? "" : " (also \(command.aliases.joined(separator: ", ")))"
            return command.synopsis.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + command.summary + also
        }
        return (["commands (any unique prefix works; 'help COMMAND' for details; '&' after a job runs it in the background):"]
                + lines.map { "  " + $0 }).joined(separator: "\n")
    }

    /// Usage, description, arguments and examples of one command.
    static func detail(_ command: Command) -> String {
        var lines = ["usage: \(command.synopsis)"]
        if !command.aliases.isEmpty { lines.append("also: \(command.aliases.joined(separator: ", "))") }
        lines += ["", command.summary + ".", ""] + wrap(command.details, width: 78)
        if !command.arguments.isEmpty {
            lines += ["", "arguments:"]
            let width = command.arguments.map { ($0.keyword.map { "\($0) " } ?? "") + $0.name }.map(\.count).max() ?? 0
            for argument in command.arguments {
                let name = (argument.keyword.map { "\($0) " } ?? "") + argument.name
                lines.append("  " + name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + argument.help)
            }
        }
        if !command.examples.isEmpty { lines += ["", "examples:"] + command.examples.map { "  " + $0 } }
        return lines.joined(separator: "\n")
    }

    /// Words filled into lines of at most `width`; each line of `text` starts a new one.
    static func wrap(_ text: String, width: Int) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).flatMap { fill(String($0), width: width) }
    }

    private static func fill(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines
    }
}
