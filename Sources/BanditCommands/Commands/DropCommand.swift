// drop: delete an experiment and everything it holds.

import BanditCore

enum DropCommand {
    static let name = Argument<String>.word("NAME", .experiment, help: "an existing experiment")

    static let command = Command("drop", arguments: [name], flags: [.mutating],
        summary: "delete an experiment and everything it holds",
        details: "Deletes the experiment, its runs, logged decisions, checkpoints, results and jobs, and gives the space they took back to the file system: the reply says how many decisions went and how much the file shrank. Other experiments' reads and jobs go on meanwhile. A store made before bandit freed space this way is compacted once (VACUUM) at a drop while no job runs; while one runs, the space stays free inside the file for new data.",
        examples: ["drop scratch"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.workspace.experiment(named: call[Self.name])
        call.effects = [.drop(experiment)]
        if call.session.current == experiment.name { call.effects.append(.use(nil)) }
        // The workspace says how much the drop freed, once it has.
        return .text("dropped \(experiment.name)")
    }
}
