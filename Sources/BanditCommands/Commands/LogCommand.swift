// log: the live run's last N decisions.

import BanditCore

enum LogCommand {
    static let count = Argument<Int>.integer("N", Limits.count, default: 10, help: "decisions (default 10)")

    static let command = Command(
        "log", arguments: [count], flags: [.needsWorld],
        summary: "the live run's last N decisions",
        details: "Shows the last N decisions of the live run (up to a million; a long reply streams to the terminal as it comes): day, context (features 0..d-1), post, propensity, viewing time.",
        examples: ["log 20"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let (experiment, world) = try call.session.currentWorld()
        guard let record = try call.workspace.store.liveRun(experimentID: experiment.id) else {
            throw CommandError.failed("no live run yet: play a day first with 'day'")
        }
        let recent = try call.workspace.store.recentDecisions(runID: record.id, limit: call[Self.count])
        guard !recent.isEmpty else { return .text("no decisions logged yet") }
        return .table(Table(headers: ["day", "context", "post", "propensity", "viewing time"],
                            alignments: [.right, .left, .right, .right, .right], rows: recent.map { day, decision in
            [.integer(day), .text(contextText(decision.context, features: world.features)), .integer(decision.action),
             .number(decision.propensity), .number(decision.viewingTime)]
        }))
    }

    /// A context as its features, feature 0 first: `1 0 1 1 0`.
    static func contextText(_ context: UInt64, features: Int) -> String {
        (0..<features).map { context >> UInt64($0) & 1 == 1 ? "1" : "0" }.joined(separator: " ")
    }
}
