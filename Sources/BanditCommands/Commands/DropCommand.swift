// drop: delete an experiment and everything it holds.

import BanditCore

enum DropCommand {
    static let name = Argument<String>.word("NAME", .experiment, help: "an existing experiment")

    static let command = Command("drop", arguments: [name], flags: [.mutating],
        summary: "delete an experiment and everything it holds",
        details: "Deletes the experiment, its runs, logged decisions, checkpoints, results and jobs.",
        examples: ["drop scratch"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.workspace.experiment(named: call[Self.name])
        call.effects = [.drop(experiment)]
        if call.session.current == experiment.name { call.effects.append(.use(nil)) }
        return .text("dropped \(experiment.name)")
    }
}
