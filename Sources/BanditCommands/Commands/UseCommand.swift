// use: make an experiment current.

import BanditCore

enum UseCommand {
    static let name = Argument<String>.word("NAME", .experiment, help: "an existing experiment")

    static let command = Command(
        "use", arguments: [name],
        summary: "make an experiment current",
        details: "Makes an existing experiment current; the prompt shows it.",
        examples: ["use notebook"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.workspace.experiment(named: call[Self.name])
        call.session.current = experiment.name
        return .text("using \(experiment.name)" + (experiment.world == nil ? " (no world yet)" : ""))
    }
}
