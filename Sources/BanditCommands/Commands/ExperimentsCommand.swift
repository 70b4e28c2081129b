// experiments: list the experiments.

import BanditCore

enum ExperimentsCommand {
    static let command = Command("experiments", summary: "list the experiments",
        details: "Lists every experiment with its generator, seed, world, live policy, days logged and stored results.", handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let all = try call.workspace.store.experiments()
        guard !all.isEmpty else { return .text("no experiments yet: create one with 'new NAME'") }
        let rows = all.map { summary -> [String] in
            let e = summary.experiment
            let world = e.world.map { "d=\($0.features) K=\($0.actions) σ=\($0.noise)" } ?? "—"
            return [(e.name == call.session.current ? "* " : "  ") + e.name, e.kind.rawValue, "\(e.seed)", world,
                    e.policy.label, "\(summary.daysLogged)", summary.results.isEmpty ? "—" : summary.results.joined(separator: " ")]
        }
        return .table(Table(headers: ["  name", "rng", "seed", "world", "policy", "days logged", "results"],
                            alignments: [.left, .left, .right, .left, .left, .right, .left], rows: rows))
    }
}
