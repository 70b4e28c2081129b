// day: play N production days of the live run, as a job.

import BanditCore

enum DayCommand {
    static let days = Argument<Int>.integer("N", Limits.count, default: 1, help: "days (default 1)")

    static let command = Command(
        "day", arguments: [days], flags: [.mutating, .needsWorld, .longRunning],
        summary: "play N production days with the live policy",
        details: """
            Plays N production days of the live run (starting it if needed), each decision logged with \
            its propensity, without refitting; prints each day's mean viewing time and regret. Runs as a \
            job: '&' runs it in the background, Ctrl-C or 'cancel' stops it at a day boundary, 'resume' \
            continues it.
            """, examples: ["day", "day 3"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        try start(&call, days: call[Self.days], fitting: false)
    }

    /// A `day N` or `step N` job on the live run (started when it plays if there is none).
    static func start(_ call: inout Invocation, days: Int, fitting: Bool) throws -> Reply {
        let (experiment, _) = try call.session.currentWorld()
        call.effects = [.startJob(.live(experiment, days: days, fitting: fitting))]
        return .empty
    }
}
