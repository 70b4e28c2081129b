// plot: chart the stored results (or the live run).

import BanditCore

enum PlotCommand {
    static let file = Argument<String?>.optionalWord("FILE", .file(extension: "svg"), help: "an .svg file to write instead of drawing on the terminal")
    static let policies = Argument<[Policy]>.policies("POLICY", optional: true, help: "results to show (default: all)")

    static let command = Command(
        "plot", arguments: [file, policies], flags: [.needsExperiment],
        summary: "chart the stored results (or the live run)",
        details: """
            Draws the stored results of the current experiment: mean viewing time per day with a ±1 SE band \
            and the asymptote per policy; with no results, the live run's days against the oracle. With \
            FILE (ending in .svg) writes a standalone SVG figure instead; policies restrict the chart.
            """, examples: ["plot", "plot curves.svg greedy ts:30"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.session.currentExperiment()
        // The client writes the file, at the path it reads in the line itself: here it only says "an SVG".
        let file = call[Self.file]
        var policies: [Policy] = []
        for policy in call[Self.policies] where !policies.contains(policy) { policies.append(policy) }
        let world = experiment.world
        var title = "experiment \(experiment.name)"
        if let world { title += ": d=\(world.features), K=\(world.actions)" }
        var results = try call.workspace.store.results(experimentID: experiment.id)
        if !policies.isEmpty {
            let labels = policies.map(\.label)
            let missing = labels.filter { label in !results.contains { $0.curve.label == label } }
            guard missing.isEmpty else { throw CommandError.failed("no stored result for \(missing.joined(separator: ", "))") }
            results = results.filter { labels.contains($0.curve.label) }
        }
        var request: PlotRequest
        if !results.isEmpty {
            // Runs × days in the title when every curve has the same; otherwise in each curve's legend.
            func size(_ curve: Curve) -> String { "\(counted(curve.runs, "run")) × \(counted(curve.mean.count, "day"))" }
            let sizes = Set(results.map { size($0.curve) })
            if sizes.count == 1 { title += ", " + sizes.first! }
            request = PlotRequest(title: title, series: results.map {
                .init(label: sizes.count == 1 ? $0.curve.label : "\($0.curve.label), \(size($0.curve))", mean: $0.curve.mean,
                      standardError: $0.curve.standardError, asymptote: $0.curve.asymptote)
            }, svg: file != nil)
        } else if let world, let record = try call.workspace.store.liveRun(experimentID: experiment.id),
                  case let days = try call.workspace.store.days(runID: record.id), !days.isEmpty {
            title += ", live run (\(record.policy.label))"
            request = PlotRequest(title: title, series: [.init(label: record.policy.label, mean: days.map(\.meanViewingTime),
                                                               standardError: nil, asymptote: nil)], svg: file != nil)
            request.reference = .init(value: world.oracle().best, label: "oracle, expected viewing time = \(String(format: "%.2f", world.oracle().best))")
        } else {
            throw CommandError.failed("nothing to plot yet: 'runs', 'compare' or 'day' first")
        }
        return .plot(request)
    }
}
