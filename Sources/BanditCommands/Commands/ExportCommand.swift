// export: write results, or the live run's days or decisions, as CSV.

import BanditCore

enum ExportCommand {
    enum What: String, CaseIterable, Sendable { case curves, days, decisions }

    static let what = Argument<What>.choice("WHAT", help: "curves, days or decisions")
    static let file = Argument<String>.word("FILE", .path, help: "the CSV file to write")

    static let command = Command(
        "export", arguments: [what, file], flags: [.needsExperiment],
        summary: "write results, or the live run's days or decisions, as CSV",
        details: """
            'export curves FILE' writes every stored result, header policy,day,runs,mean,se, one row per \
            policy and day, numbers in shortest round-trip form. 'export days FILE' writes every day of the \
            live run: day,decisions,mean_viewing_time,regret. 'export decisions FILE' writes the live \
            run's decisions: day,decision,x0..x(d-1),action,propensity,viewing_time.
            """, examples: ["export curves notebook.csv"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.session.currentExperiment()
        var csv: String
        var rows = 0
        switch call[Self.what] {
        case .curves:
            let results = try call.workspace.store.results(experimentID: experiment.id)
            csv = "policy,day,runs,mean,se\n"
            for result in results {
                let c = result.curve
                for day in c.mean.indices {
                    csv += "\(c.label),\(day + 1),\(c.runs),\(c.mean[day].description),\(c.standardError[day].description)\n"
                    rows += 1
                }
            }
        case .days:
            guard let record = try call.workspace.store.liveRun(experimentID: experiment.id) else {
                throw CommandError.failed("no live run yet: play a day first with 'day'")
            }
            csv = "day,decisions,mean_viewing_time,regret\n"
            for day in try call.workspace.store.days(runID: record.id) {
                csv += "\(day.day),\(day.decisions),\(day.meanViewingTime.description),\(day.regret.description)\n"
                rows += 1
            }
        case .decisions:
            guard let world = experiment.world, let record = try call.workspace.store.liveRun(experimentID: experiment.id) else {
                throw CommandError.failed("no live run yet: play a day first with 'day'")
            }
            let d = world.features
            csv = "day,decision," + (0..<d).map { "x\($0)" }.joined(separator: ",") + ",action,propensity,viewing_time\n"
            let saved = try call.workspace.store.loadRun(id: record.id, world: world)
            for (dayIndex, day) in saved.history.enumerated() {
                for (index, decision) in day.enumerated() {
                    let x = (0..<d).map { decision.context >> UInt64($0) & 1 == 1 ? "1" : "0" }.joined(separator: ",")
                    csv += "\(dayIndex + 1),\(index),\(x),\(decision.action),\(decision.propensity.description),\(decision.viewingTime.description)\n"
                    rows += 1
                }
            }
        }
        // The client writes it, at the FILE it reads in the line itself: the reply carries no path.
        return .file(FileReply(contents: csv, summary: "\(rows) rows"))
    }
}
