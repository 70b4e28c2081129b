// set: the protocol settings of the current experiment.

import BanditCore

enum SetCommand {
    static let decisions = Argument<Int?>.optionalInteger("N", Limits.decisions, keyword: "decisions",
                                                         help: "decisions per day (default 100)")
    static let days = Argument<Int?>.optionalInteger("D", Limits.count, keyword: "days", help: "days per run (default 14)")
    static let runs = Argument<Int?>.optionalInteger("R", Limits.count, keyword: "runs", help: "runs (default 10)")

    static let command = Command(
        "set", arguments: [decisions, days, runs], flags: [.mutating, .needsExperiment],
        summary: "set decisions per day, days per run, or runs",
        details: "Sets protocol settings of the current experiment: decisions per day (default 100), days per run (14), runs (10); several at once if you like.",
        examples: ["set decisions 200", "set runs 40", "set days 7 runs 3"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        var experiment = try call.session.currentExperiment()
        var changed: [String] = []
        if let value = call[Self.decisions] {
            experiment.schedule.decisionsPerDay = value
            changed.append("decisions = \(value)")
        }
        if let value = call[Self.days] {
            experiment.schedule.days = value
            changed.append("days = \(value)")
        }
        if let value = call[Self.runs] {
            experiment.schedule.runs = value
            changed.append("runs = \(value)")
        }
        guard !changed.isEmpty else { throw CommandError.usage("name a setting to change; usage: \(command.synopsis)") }
        call.effects = [.save(experiment, retiringLiveRun: false)]
        return .text(changed.joined(separator: "\n"))
    }
}
