// runs: R independent runs of the live policy, as a job; stores its curve.

import BanditCore

enum RunsCommand {
    static let runs = Argument<Int?>.optionalInteger("R", Limits.count, help: "runs (default: the runs setting)")
    static let days = Argument<Int?>.optionalInteger("D", Limits.count, keyword: "days", help: "days per run (default: the days setting)")

    static let command = Command(
        "runs", arguments: [runs, days], flags: [.mutating, .needsWorld, .longRunning],
        summary: "R independent runs of the live policy; store its curve",
        details: """
            The notebook's run_sequences for the live policy: R runs of D days of (day, fit). Stores the \
            per-day mean viewing time and its standard error under the policy's label, replacing an earlier \
            result with the same label. Runs as a job: every day is committed, Ctrl-C stops it at a day \
            boundary, and 'resume' continues it exactly.
            """, examples: ["runs 10 days 14"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        try start(&call, policies: [], runs: call[Self.runs], days: call[Self.days])
    }

    /// R runs × D days of each policy (of the live policy when none is named), as a job.
    static func start(_ call: inout Invocation, policies: [Policy], runs: Int?, days: Int?) throws -> Reply {
        let (experiment, _) = try call.session.currentWorld()
        var schedule = experiment.schedule
        schedule.runs = runs ?? schedule.runs
        schedule.days = days ?? schedule.days
        call.effects = [.startJob(.runs(experiment, policies: policies.isEmpty ? [experiment.policy] : policies, schedule: schedule))]
        return .empty
    }
}
