// world: draw a new world and show its summary.

import BanditCore

enum WorldCommand {
    static let features = Argument<Int>.integer("F", Limits.features, keyword: "features", default: 5,
                                                help: "features including the constant (default 5)")
    static let actions = Argument<Int>.integer("K", Limits.actions, keyword: "actions", default: 30, help: "posts to recommend (default 30)")
    static let noise = Argument<Double>.real("S", Limits.noise, keyword: "noise", default: 0.1,
                                             help: "noise σ of the log viewing time (default 0.1)")

    static let command = Command(
        "world", arguments: [features, actions, noise], flags: [.mutating, .needsExperiment],
        summary: "draw a new world and show its summary",
        details: """
            Draws the weights of a new world from the experiment's generator (features × actions normal \
            deviates, feature by feature) and shows d, K, σ, and the expected viewing time of the best post \
            (the oracle) and of a random one. A new world retires the live run and removes the results \
            obtained on the previous one.
            """, examples: ["world features 5 actions 30"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        var experiment = try call.session.currentExperiment()
        if let log = try call.workspace.store.importedLog(experimentID: experiment.id) { throw Session.noWorld(experiment, log) }
        let previous = try call.workspace.store.results(experimentID: experiment.id).count
        let world = try World.draw(features: call[Self.features], actions: call[Self.actions], noise: call[Self.noise],
                                   using: &experiment.generator)
        experiment.world = world
        call.effects = [.replaceWorld(experiment)]
        var lines = [summary(world)]
        if previous > 0 { lines.append("removed \(previous) result\(previous == 1 ? "" : "s") of the previous world") }
        return .text(lines.joined(separator: "\n"))
    }

    static func summary(_ world: World) -> String {
        let oracle = world.oracle()
        return """
            world: d=\(counted(world.features, "feature")) (the constant included), K=\(counted(world.actions, "post")), σ=\(world.noise)
            expected viewing time: best post (oracle) \(formatNumber(oracle.best))\(oracle.exact ? "" : " (estimated)"), \
            random post \(formatNumber(oracle.uniform))
            """
    }
}
