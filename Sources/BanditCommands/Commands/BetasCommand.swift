// betas: the live policy's coefficients.

import BanditCore

enum BetasCommand {
    static let action = Argument<Int?>.optionalInteger("ACTION", 0...(Limits.actions.upperBound - 1), help: "one post (0-based)")

    static let command = Command(
        "betas", arguments: [action], flags: [.needsWorld],
        summary: "the live policy's coefficients",
        details: "Shows the live run's coefficients per post and feature; for Thompson sampling the ensemble's mean and spread (standard deviation).",
        examples: ["betas", "betas 3"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let (experiment, world) = try call.session.currentWorld()
        let store = call.workspace.store
        guard let record = try store.liveRun(experimentID: experiment.id) else {
            throw CommandError.failed("no live run yet: play a day first with 'day'")
        }
        let checkpoint = try store.latestCheckpoint(runID: record.id, world: world)
        let d = world.features, k = world.actions
        let actions: [Int]
        if let action = call[Self.action] {
            guard action < k else { throw CommandError.badValue("ACTION must be from 0 to \(k - 1)") }
            actions = [action]
        } else {
            actions = Array(0..<k)
        }
        let members = checkpoint.members, c = checkpoint.coefficients
        let headers = ["post"] + (0..<d).map { "β\($0)" }
        if members == 1 {
            let rows = actions.map { a in [Cell.integer(a)] + (0..<d).map { j in Cell.number(c[j * k + a]) } }
            return .table(Table(title: "\(record.policy.label) coefficients after \(counted(checkpoint.fits, "fit"))", headers: headers, rows: rows))
        }
        let rows = actions.map { a in
            [Cell.integer(a)] + (0..<d).map { j -> Cell in
                let values = (0..<members).map { c[($0 * d + j) * k + a] }
                let mean = values.reduce(0, +) / Double(members)
                let spread = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(members)).squareRoot()
                return .estimate(mean, spread)
            }
        }
        return .table(Table(title: "\(record.policy.label) ensemble of \(members): mean ± spread after \(counted(checkpoint.fits, "fit"))",
                            headers: headers, rows: rows, fields: [["post"]] + (0..<d).map { ["β\($0)", "β\($0) spread"] }))
    }
}
