// shutdown: stop the daemon.

import BanditCore

enum ShutdownCommand {
    static let command = Command("shutdown", summary: "stop the daemon",
        details: """
            Stops banditd: running jobs stop at their next day boundary (every completed day is \
            committed) and resume by themselves when it starts again; the database is closed cleanly.
            """, handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        guard let shutdown = call.workspace.shutdown else {
            throw CommandError.failed("no daemon to shut down: this bandit runs without one (--no-daemon)")
        }
        shutdown()
        return .text("banditd is stopping: running jobs stop at their next day boundary and resume on its next start")
    }
}
