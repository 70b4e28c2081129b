// experiments: list the experiments.

import BanditCore

enum ExperimentsCommand {
    static let command = Command("experiments", summary: "list the experiments",
        details: "Lists every experiment with its generator, seed, world, live policy, days logged and stored results.", handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let all = try call.workspace.store.experiments()
        guard !all.isEmpty else { return .text("no experiments yet: create one with 'new NAME'") }
        let rows = all.map { summary -> [Cell] in
            let e = summary.experiment
            let world = e.world.map { Cell.text("d=\($0.features) K=\($0.actions) σ=\($0.noise)") }
                ?? summary.importedFrom.map { Cell.text("imported: \($0)") } ?? .missing
            return [.flag(e.name == call.session.current), .text(e.name), .text(e.kind.rawValue), .integer(Int(e.seed)), world,
                    .text(e.policy.label), .integer(summary.daysLogged),
                    summary.results.isEmpty ? .missing : .text(summary.results.joined(separator: " "))]
        }
        // The first column marks the current experiment: `current` (true or false) in machine output.
        let headers = ["", "name", "rng", "seed", "world", "policy", "days logged", "results"]
        return .table(Table(headers: headers, alignments: [.left, .left, .left, .right, .left, .left, .right, .left], rows: rows,
                            fields: [["current"]] + headers.dropFirst().map { [$0] }))
    }
}
