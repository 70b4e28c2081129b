// plot: chart the stored results (or the live run).

import BanditCore
import BanditStore

enum PlotCommand {
    enum Subject: String, CaseIterable, Sendable { case evaluation }
    static let subject = Argument<Subject?>.optionalChoice("evaluation", help: "the latest evaluation instead of the results")
    static let file = Argument<String?>.optionalWord("FILE", .file(extension: "svg"), help: "an .svg file to write instead of drawing on the terminal")
    static let policies = Argument<[Policy]>.policies("POLICY", optional: true, help: "results to show (default: all)")

    static let command = Command(
        "plot", arguments: [subject, file, policies], flags: [.needsExperiment],
        summary: "chart the stored results (or the live run)",
        details: """
            Draws the stored results of the current experiment: mean viewing time per day with a ±1 SE band \
            and the asymptote per policy; with no results, the live run's days against the oracle. With \
            FILE (ending in .svg) writes a standalone SVG figure instead; policies restrict the chart. \
            'plot evaluation' draws the latest 'evaluate' instead: for one target (the first evaluated, or the \
            policy named), each usable estimator's estimate per run with its 95% interval as a band, and the \
            truth per run.
            """, examples: ["plot", "plot curves.svg greedy ts:30", "plot evaluation ope.svg ts:30"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.session.currentExperiment()
        // The client writes the file, at the path it reads in the line itself: here it only says "an SVG".
        let file = call[Self.file]
        var policies: [Policy] = []
        for policy in call[Self.policies] where !policies.contains(policy) { policies.append(policy) }
        if call[Self.subject] == .evaluation { return try evaluation(experiment, policies: policies, svg: file != nil, store: call.workspace.store) }
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

    /// The latest evaluation of one target: per logging policy, each estimator usable in every run
    /// (estimate per run, its 95% interval's half-width as the band) and the truth per run.
    static func evaluation(_ experiment: ExperimentRecord, policies: [Policy], svg: Bool, store: Store) throws -> Reply {
        guard let evaluation = try store.latestEvaluation(experimentID: experiment.id) else {
            throw CommandError.failed("no evaluation to plot yet: 'evaluate TARGET' first")
        }
        var targets: [Policy] = []
        for row in evaluation.rows where !targets.contains(row.target) { targets.append(row.target) }
        guard policies.count <= 1 else { throw CommandError.usage("plot evaluation draws one target at a time") }
        let target = policies.first ?? targets[0]
        guard targets.contains(target) else {
            throw CommandError.failed("evaluation \(evaluation.id) has no target \(target.label): it has \(targets.map(\.label).joined(separator: ", "))")
        }
        let rows = evaluation.rows.filter { $0.target == target }
        let runs = try evaluation.jobID.map { try store.runs(jobID: $0) } ?? []
        let logging = Dictionary(runs.map { ($0.id, $0.policy) }, uniquingKeysWith: { first, _ in first })
        // The rows are stored in the job's order of policies, then by run: the groups and their points follow it.
        var groups: [(policy: Policy?, rows: [EvaluationRow])] = []
        for row in rows {
            let policy = logging[row.runID]
            if let index = groups.firstIndex(where: { $0.policy == policy }) { groups[index].rows.append(row) } else { groups.append((policy, [row])) }
        }
        var series: [PlotRequest.Series] = []
        var unusable: [String] = []
        for group in groups {
            let prefix = groups.count > 1 ? "\(group.policy?.label ?? "live") " : ""
            for estimator in OffPolicyEstimator.allCases {
                let own = group.rows.filter { $0.estimate.estimator == estimator }
                guard !own.isEmpty else { continue }
                guard own.allSatisfy(\.usable) else {
                    unusable.append(prefix + estimator.rawValue)
                    continue
                }
                series.append(.init(label: prefix + estimator.rawValue, mean: own.map(\.estimate.value),
                                    standardError: own.map { ($0.estimate.upper - $0.estimate.lower) / 2 }, asymptote: nil))
            }
            let truths = group.rows.filter { $0.estimate.estimator == group.rows[0].estimate.estimator }.compactMap(\.truth?.value)
            if !truths.isEmpty { series.append(.init(label: prefix + "truth", mean: truths, standardError: nil, asymptote: nil)) }
        }
        guard !series.isEmpty else {
            throw CommandError.failed("evaluation \(evaluation.id): no estimator of \(target.label) is usable in every run (\(unusable.joined(separator: ", ")))")
        }
        var title = "experiment \(experiment.name): evaluation \(evaluation.id) of \(target.label)"
            + (evaluation.jobID.map { " on job \($0)" } ?? " on the live run") + ", bands: 95% intervals"
        if !unusable.isEmpty { title += "; unusable in some run: \(unusable.joined(separator: ", "))" }
        var request = PlotRequest(title: title, series: series, svg: svg)
        request.xLabel = "run"
        request.bandLabel = "95% interval"
        return .plot(request)
    }
}
