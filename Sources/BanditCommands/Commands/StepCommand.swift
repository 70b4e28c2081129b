// step: N × (day, fit), the notebook's daily loop, as a job.

import BanditCore

enum StepCommand {
    static let days = Argument<Int>.integer("N", Limits.count, default: 1, help: "days (default 1)")

    static let command = Command(
        "step", arguments: [days], flags: [.mutating, .needsWorld, .longRunning],
        summary: "N × (day, fit): the notebook's daily loop",
        details: """
            Plays N days of the live run, refitting after each, each day committed with its checkpoint. \
            Runs as a job, like 'day'.
            """,
        examples: ["step 14"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        try DayCommand.start(&call, days: call[Self.days], fitting: true)
    }
}
