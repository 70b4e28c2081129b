// help: list the commands, or describe one.

import BanditCore

enum HelpCommand {
    static let topic = Argument<String?>.optionalWord("COMMAND", .command, help: "a command")

    static let command = Command(
        "help", arguments: [topic],
        summary: "list the commands, or describe one",
        details: "Lists the commands, or shows one command's usage, description and examples.",
        examples: ["help", "help compare"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        if let word = call[Self.topic] { return .text(Help.detail(try Command.resolve(word))) }
        return .text(Help.overview())
    }
}
