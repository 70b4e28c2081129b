// settings: show the protocol settings.

import BanditCore

enum SettingsCommand {
    static let command = Command("settings", flags: [.needsExperiment], summary: "show the protocol settings",
        details: "Shows the current experiment's generator, seed, live policy and protocol settings.", handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let e = try call.session.currentExperiment()
        return .table(Table(title: "experiment \(e.name)", headers: ["setting", "value"], alignments: [.left, .left], rows: [
            ["rng", .text(e.kind.rawValue)], ["seed", .integer(Int(e.seed))],
            ["world", e.world.map { .text("d=\($0.features) K=\($0.actions) σ=\($0.noise)") } ?? "none yet"],
            ["policy", .text(e.policy.label)], ["decisions", .integer(e.schedule.decisionsPerDay)], ["days", .integer(e.schedule.days)],
            ["runs", .integer(e.schedule.runs)], ["warmup", .integer(e.schedule.warmup)], ["ridge", .text(Policy.text(e.schedule.ridge))],
        ]))
    }
}
