// fit: refit the live policy on all its decisions.

import BanditCore

enum FitCommand {
    static let command = Command(
        "fit", flags: [.mutating, .needsWorld],
        summary: "refit the live policy on all its decisions",
        details: "Refits the live run's recommender on every decision of the run so far and checkpoints it.", handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let (experiment, _) = try call.session.currentWorld()
        call.effects = [.fitLiveRun(experiment)]
        return .empty
    }
}
