// set: the protocol settings of the current experiment.

import BanditCore
import BanditStore

enum SetCommand {
    static let decisions = Argument<Int?>.optionalInteger("N", Limits.decisions, keyword: "decisions",
                                                         help: "decisions per day (default 100)")
    static let days = Argument<Int?>.optionalInteger("D", Limits.count, keyword: "days", help: "days per run (default 14)")
    static let runs = Argument<Int?>.optionalInteger("R", Limits.count, keyword: "runs", help: "runs (default 10)")
    static let warmup = Argument<Int?>.optionalInteger("W", Limits.warmup, keyword: "warmup",
                                                      help: "uniform days at the start of every run (default 0)")
    static let ridge = Argument<Double?>.optionalReal("L", Limits.ridge, keyword: "ridge",
                                                     help: "λ of the ridge regressions of linucb, lints and ots (default 1)")
    static let keep = Argument<DecisionKeeping?>.optionalChoice("decisions|summaries", keyword: "keep",
                                                               help: "what runs and compare jobs keep of a finished run (default decisions)")

    static let command = Command(
        "set", arguments: [decisions, days, runs, warmup, ridge, keep], flags: [.mutating, .needsExperiment],
        summary: "set decisions per day, days per run, runs, warm-up days, the ridge λ, or what jobs keep",
        details: """
            Sets protocol settings of the current experiment: decisions per day (default 100), days per run (14), runs (10), \
            warm-up days (0: the first W days of every run are played uniformly at random, propensity 1/K, whatever the policy, \
            as real systems do before their first fit), and λ of the ridge regressions of linucb, lints and ots (1); several \
            at once if you like. A new warm-up or λ retires the live run: the next day starts a new one with them.
            \n\
            'keep summaries' makes the experiment's next runs and compare jobs keep, of each run once it has \
            finished, only its day summaries and its last checkpoint (a job keeps what it started with, resumed too): its decisions are needed to \
            continue the run only until its last day, and dropping them makes a big job's file a fraction of the \
            size. Its curves, results and plots are the same; evaluate and export decisions then have nothing to \
            read of its runs and say so. 'keep decisions' (the default) keeps every logged decision. The live run \
            always keeps its decisions.
            """,
        examples: ["set decisions 200", "set runs 40", "set days 7 runs 3", "set warmup 1", "set ridge 0.5", "set keep summaries"],
        handler: run)

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
        var retiring = false
        if let value = call[Self.warmup] {
            retiring = retiring || value != experiment.schedule.warmup
            experiment.schedule.warmup = value
            changed.append("warmup = \(value)")
        }
        if let value = call[Self.ridge] {
            retiring = retiring || value != experiment.schedule.ridge
            experiment.schedule.ridge = value
            changed.append("ridge = \(Policy.text(value))")
        }
        if let value = call[Self.keep] {
            experiment.keep = value
            changed.append("keep = \(value.rawValue)" + (value == .summaries ? " (finished runs of later jobs keep their day summaries, not their decisions)" : ""))
        }
        guard !changed.isEmpty else { throw CommandError.usage("name a setting to change; usage: \(command.synopsis)") }
        if retiring { changed.append("(a live run with the old setting is retired: the next day starts a new one)") }
        call.effects = [.save(experiment, retiringLiveRun: retiring)]
        return .text(changed.joined(separator: "\n"))
    }
}
