// help: list the commands, or describe one.

import BanditCore

enum HelpCommand {
    static let topic = Argument<String?>.optionalWord("COMMAND", .command, help: "a command")

    static let command = Command(
        "help", arguments: [topic],
        summary: "list the commands, or describe one",
        details: "Lists the commands, or shows one command's usage, description and examples.",
        examples: ["help", "help compare"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply { try text(topic: call[Self.topic]) }

    static func text(topic: String?) throws -> Reply {
        if let word = topic { return .text(Help.detail(try Command.resolve(word))) }
        return .text(Help.overview())
    }
}

extension Interpreter {
    /// The outcomes of a line made only of `help` commands (or of nothing: blanks, a comment),
    /// answered from the command table alone, as the interpreter would answer it: no store, no
    /// daemon, no state directory is needed for them. Nil when the line holds anything else, or
    /// does not parse (whoever runs it then says why).
    public static func helpOnly(_ line: String) -> [Outcome]? {
        let commands: [ParsedCommand]
        do {
            commands = try parseLine(line)
        } catch {
            // Not answered here: the interpreter that runs the line reports its syntax error.
            return nil
        }
        guard commands.allSatisfy({ !$0.background && isHelp($0.words[0]) }) else { return nil }
        var outcomes: [Outcome] = []
        for parsed in commands {
            let text = parsed.words.joined(separator: " ")
            do {
                let arguments = try bind(parsed.words.dropFirst(), to: HelpCommand.command)
                let topic = HelpCommand.topic.read(arguments.values[HelpCommand.topic.spec.name] ?? [])
                outcomes.append(Outcome(command: echo(text), reply: try HelpCommand.text(topic: topic), error: nil, quit: false))
            } catch {
                outcomes.append(Outcome(command: echo(text), reply: .empty, error: message(error), quit: false))
                break
            }
        }
        return outcomes
    }

    /// Whether a word names `help` (by its name, an alias or a unique prefix).
    private static func isHelp(_ word: String) -> Bool {
        do {
            return try Command.resolve(word).name == HelpCommand.command.name
        } catch {
            // Not a command at all: not help; the interpreter says so when it runs the line.
            return false
        }
    }

    /// The prompt of a session whose current experiment is `current`.
    public static func prompt(current: String?) -> String { "bandit" + (current.map { " \($0)" } ?? "") + "> " }
}
