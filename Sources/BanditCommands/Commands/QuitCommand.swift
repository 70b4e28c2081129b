// quit: leave the REPL.

import BanditCore

enum QuitCommand {
    static let command = Command(
        "quit", aliases: ["exit"], flags: [.quits],
        summary: "leave",
        details: "Leaves the REPL (Ctrl-D too); the daemon and its jobs go on.",
        handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        .text("")
    }
}
