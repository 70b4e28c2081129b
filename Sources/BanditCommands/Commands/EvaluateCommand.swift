// evaluate: off-policy estimates of target policies from logged runs, against the world's truth.

import BanditCore
import BanditStore
import Foundation

enum EvaluateCommand {
    static let targets = Argument<[Policy]>.policies("TARGET", optional: false, help: "policies to evaluate, e.g. greedy ts:30")
    static let job = Argument<Int?>.optionalJob("J", .finished, keyword: "on", help: "a finished runs or compare job (default: the live run)")
    static let train = Argument<Int?>.optionalInteger("K", Limits.count, keyword: "train", help: "days that fit the targets (default: all but the last)")
    static let estimators = Argument<[OffPolicyEstimator]>.list("estimators", help: "estimators to show (default: all four)")
    static let interval = Argument<Interval>.choice("normal|bootstrap", keyword: "ci", default: .normal, help: "how 95% intervals are made")

    enum Interval: String, CaseIterable, Sendable { case normal, bootstrap }

    static let command = Command(
        "evaluate", arguments: [targets, job, train, estimators, interval], flags: [.needsExperiment],
        summary: "estimate target policies from logged runs (off-policy), against the truth",
        details: """
            Off-policy evaluation: what each TARGET policy would earn, estimated from decisions another policy \
            logged. In each run (the live run, or every run of job J), the target and a reward model q̂ (the \
            notebook's per-post least squares) are fitted on days 1..K and frozen; the later days' n decisions \
            (x, a, r, p) are the evaluation data, with weights w = π(a|x)/p. IPS = Σ w·r / n; SNIPS = Σ w·r / Σ w; \
            DM = Σ_x Σ_a π(a|x)·q̂(x,a) / n; DR = DM + Σ w·(r − q̂(x,a)) / n. Each comes with a 95% interval \
            (normal from the per-decision terms, or with 'ci bootstrap' the percentiles of 1,000 resamples), \
            beside the effective sample size (Σw)²/Σw² and the largest weight.
            \n\
            Support: the logging policy's distribution for each evaluated context is replayed exactly (a job's \
            run is played again from its start and must give its logs back bit for bit; the live run is \
            restored from its checkpoints). When the target puts probability on posts the logging policy could \
            not choose there (greedy logs), IPS, SNIPS and DR are marked unusable and the unsupported share is \
            shown.
            \n\
            Truth: the frozen target's exact value in the world (enumerating the context patterns up to 20 \
            random features, else a Monte Carlo estimate with its standard error), and each estimate's error \
            against it. Over a job's runs: per estimator the bias (± its standard error), RMSE, relative error \
            and the share of 95% intervals that held the truth. The figures of every run are stored (the view \
            'evaluations'); 'plot evaluation' draws the latest evaluation.
            """,
        examples: ["evaluate ts:30 greedy", "evaluate softmax:0.05 on 2 train 7", "evaluate uniform on 3 estimators ips,dr ci bootstrap"],
        handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.session.currentExperiment()
        let imported = experiment.world == nil ? try call.workspace.store.importedLog(experimentID: experiment.id) : nil
        // Only a simulated experiment's world is needed past here; imported logs have none.
        let world: World? = imported == nil ? try call.session.currentWorld().1 : nil
        let targets = call[Self.targets]
        var seen = Set<String>()
        for target in targets where !seen.insert(target.label).inserted {
            throw CommandError.usage("\(target.label) is named twice")
        }
        let store = call.workspace.store
        let logs: EvaluatedLogs
        if let imported {
            if let id = call[Self.job] {
                throw CommandError.failed("experiment \(experiment.name) holds logs imported from \(imported.file), not jobs: evaluate them without 'on \(id)'")
            }
            logs = EvaluatedLogs(source: "the logs imported from \(imported.file)", runs: [], days: imported.days,
                                 schedule: experiment.schedule, imported: imported)
        } else if let id = call[Self.job] {
            logs = try jobLogs(id: Int64(id), experiment: experiment, store: store)
        } else {
            // A job playing the live run commits its days as it goes: evaluate what it leaves once it ends.
            if let running = call.workspace.registry.playing(experimentID: experiment.id),
               try store.job(id: running.jobID)?.kind != .runs {
                throw running.conflict
            }
            logs = try liveLogs(experiment: experiment, world: world!, store: store)
        }
        let train = call[Self.train] ?? logs.days - 1
        guard logs.days >= 2 else {
            throw CommandError.failed("\(logs.source) has \(counted(logs.days, "day")): evaluate fits on some days and estimates on later ones, so it needs 2 or more")
        }
        guard train < logs.days else {
            throw CommandError.badValue("train must leave a day to evaluate: \(logs.source) has \(counted(logs.days, "day")), so train 1 to \(logs.days - 1)")
        }
        let setup = OffPolicyEvaluation.Setup(
            targets: targets, train: train, features: world?.features ?? imported!.features, actions: world?.actions ?? imported!.actions,
            ridge: logs.schedule.ridge, bootstrap: call[Self.interval] == .bootstrap ? IntervalMethod.defaultReplicates : nil, world: world)
        let decisionsPerRun = logs.imported?.decisions ?? logs.schedule.decisionsPerDay * logs.days
        let trained = logs.imported == nil ? logs.schedule.decisionsPerDay * train : decisionsPerRun / 2
        let footprint = Footprint.evaluation(
            features: setup.features, actions: setup.actions, logging: logs.imported == nil ? (logs.job?.policies ?? logs.runs.map(\.policy)) : nil,
            targets: targets, decisionsPerRun: decisionsPerRun, trained: min(trained, decisionsPerRun), runs: logs.runIDs.count,
            concurrent: logs.job == nil ? 1 : Experiment.availableThreads)
        try call.workspace.checkBudget(footprint, work: "evaluate \(targets.map(\.label).joined(separator: " "))")
        let results = try evaluate(logs, setup: setup, world: world, store: store, call: call)
        let estimators = call[Self.estimators]
        var rows: [EvaluationRow] = []
        for (runID, perTarget) in zip(logs.runIDs, results) {
            for result in perTarget {
                for estimate in result.report.estimates where estimators.contains(estimate.estimator) {
                    rows.append(EvaluationRow(
                        runID: runID, target: result.target, estimate: estimate, usable: result.report.isUsable(estimate.estimator),
                        decisions: result.report.decisions, effectiveSampleSize: result.report.effectiveSampleSize,
                        largestWeight: result.report.largestWeight, unsupported: result.report.unsupported, truth: result.truth))
                }
            }
        }
        call.effects.append(.recordEvaluation(EvaluationRecord(
            experimentID: experiment.id, jobID: logs.jobID, command: call.text, train: train, bootstrap: setup.bootstrap != nil, rows: rows)))
        let evaluated = results[0][0].report.decisions
        let days = train + 1 == logs.days ? "day \(logs.days)" : "days \(train + 1)–\(logs.days)"
        let heading = "\(logs.source): targets fitted on days 1–\(train), estimated from \(days) (\(counted(evaluated, "decision"))\(logs.runIDs.count > 1 ? " per run" : ""))"
        if logs.runIDs.count == 1 {
            return runReport(results[0], estimators: estimators, heading: heading)
        }
        return summaryReport(results, runs: logs.runs, targets: targets, estimators: estimators, heading: heading)
    }

    /// The runs whose logs are evaluated, with what replaying their logging policy needs.
    struct EvaluatedLogs {
        var source: String
        var jobID: Int64?
        var job: JobRecord?
        var runs: [RunRecord]
        var days: Int
        var schedule: Schedule
        var imported: ImportedLog?

        var runIDs: [Int64] { imported.map { [$0.runID] } ?? runs.map(\.id) }
    }



    private static func jobLogs(id: Int64, experiment: ExperimentRecord, store: Store) throws -> EvaluatedLogs {
        guard let job = try store.job(id: id), job.experimentID == experiment.id else {
            throw CommandError.failed("no job \(id) in experiment \(experiment.name) ('jobs' lists them)")
        }
        guard job.kind == .runs else {
            throw CommandError.failed("job \(id) played the live run ('\(job.command)'): evaluate the live run with no 'on', or a runs or compare job")
        }
        guard job.state == .finished else {
            throw CommandError.failed("job \(id) is \(job.state.rawValue): evaluate reads a finished job's runs"
                                      + (job.state.isResumable ? " ('resume \(id)' finishes it)" : ""))
        }
        guard job.keep == .decisions else {
            throw CommandError.failed("job \(id) kept only the day summaries of its runs ('set keep summaries' when it started): "
                                      + "it has no decisions to evaluate; play it again with 'set keep decisions'")
        }
        // In the job's order of policies, then by ordinal: the order the store recorded them in
        // depends on which thread started first.
        let runs = try store.runs(jobID: id).sorted {
            (job.policies.firstIndex(of: $0.policy) ?? 0, $0.ordinal) < (job.policies.firstIndex(of: $1.policy) ?? 0, $1.ordinal)
        }
        return EvaluatedLogs(source: "job \(id) (\(job.command), \(counted(job.schedule.runs, "run")) per policy)", jobID: id, job: job,
                             runs: runs, days: job.schedule.days, schedule: job.schedule, imported: nil)
    }

    private static func liveLogs(experiment: ExperimentRecord, world: World, store: Store) throws -> EvaluatedLogs {
        guard let record = try store.liveRun(experimentID: experiment.id) else {
            throw CommandError.failed("no live run to evaluate: play some days ('step 14'), or name a job ('evaluate ts:30 on J')")
        }
        return EvaluatedLogs(source: "the live run (\(record.policy.label))", jobID: nil, job: nil, runs: [record],
                             days: try store.days(runID: record.id).count, schedule: experiment.schedule, imported: nil)
    }

    /// Every run's results by target, in `logs.runs` order: a job's runs replayed by the engine's
    /// scheduling rule (each run's start depends on the runs before it with `numpy`), on all cores.
    private static func evaluate(
        _ logs: EvaluatedLogs, setup: OffPolicyEvaluation.Setup, world: World?, store: Store, call: Invocation
    ) throws -> [[OffPolicyEvaluation.TargetResult]] {
        let firstDay = setup.train + 1
        guard let world else {
            // Imported logs: no world, no replay; the logging policy's support is unknown.
            let days = try store.loggedDecisions(logs.imported!)
            guard days[setup.train...].reduce(0, { $0 + $1.count }) >= 2 else {
                throw CommandError.failed("days \(firstDay)–\(logs.days) of \(logs.source) hold fewer than 2 decisions: nothing to estimate from")
            }
            return [OffPolicyEvaluation.evaluate(setup, logs: days, logging: nil,
                                                 run: OffPolicyEvaluation.stream(label: Store.loggedPolicyLabel, ordinal: 0))]
        }
        guard let job = logs.job else {
            let run = logs.runs[0]
            let stored = try store.loadRun(id: run.id, world: world)
            guard stored.history.count == logs.days else {
                throw CommandError.failed("the live run changed while evaluate read it: try again")
            }
            let checkpoints = try store.checkpoints(runID: run.id, world: world)
            let distributions = OffPolicyEvaluation.replay(
                world: world, policy: run.policy, ridge: logs.schedule.ridge, warmup: logs.schedule.warmup, checkpoints: checkpoints,
                days: stored.days, logged: stored.history, from: firstDay)
            return [OffPolicyEvaluation.evaluate(setup, logs: stored.history, logging: distributions,
                                                 run: OffPolicyEvaluation.stream(label: run.policy.label, ordinal: 0))]
        }
        let byKey = Dictionary(logs.runs.map { ("\($0.policy.label)#\($0.ordinal)", $0) }, uniquingKeysWith: { first, _ in first })
        let oracle = world.oracle().best
        let progress = call.progress, shouldStop = call.shouldStop
        let total = job.policies.count * job.schedule.runs * job.schedule.days
        let done = DoneCounter()
        var generator = job.startGenerator
        let outcomes = try Experiment.scheduleRuns(
            policies: job.policies.count, runs: job.schedule.runs, generator: &generator, threads: Experiment.availableThreads
        ) { slot, start throws -> ((RunRecord, [OffPolicyEvaluation.TargetResult]), end: Generator)? in
            let policy = job.policies[slot.policy]
            guard !shouldStop() else { return nil }
            guard let run = byKey["\(policy.label)#\(slot.ordinal)"] else {
                throw CommandError.failed("job \(job.id) has no run \(slot.ordinal + 1) of \(policy.label): its runs are incomplete")
            }
            let history = try store.decisions(runID: run.id, days: job.schedule.days)
            let fits = history.allSatisfy { $0.allSatisfy { $0.action < world.actions && $0.context >> UInt64(world.features) == 0 } }
            let (distributions, end) = fits
                ? OffPolicyEvaluation.replay(world: world, policy: policy, start: start, schedule: job.schedule, oracleValue: oracle,
                                             logged: history, from: firstDay)
                : (nil, start)
            guard let distributions else {
                throw CommandError.failed("run \(run.id) (\(policy.label) #\(slot.ordinal + 1)) of job \(job.id) does not replay as logged: "
                                          + "the world was replaced since the job ran ('world'), or another version of bandit wrote its logs; "
                                          + "either way its logging policy cannot be recovered, and the truth would be another world's")
            }
            let results = OffPolicyEvaluation.evaluate(setup, logs: history, logging: distributions,
                                                       run: OffPolicyEvaluation.stream(label: policy.label, ordinal: slot.ordinal))
            progress?(JobProgress(label: "evaluate", done: done.add(job.schedule.days), total: total))
            return ((run, results), end)
        }
        guard let outcomes else { throw CommandError.failed("evaluate stopped: nothing stored") }
        let flat = outcomes.flatMap { $0 }
        // In the order of the runs listed, which the summaries and the stored rows follow.
        let byRun = Dictionary(flat.map { ($0.0.id, $0.1) }, uniquingKeysWith: { first, _ in first })
        return logs.runs.map { byRun[$0.id]! }
    }

    /// Runs done so far, counted from the threads that evaluate them.
    private final class DoneCounter: @unchecked Sendable {
        private let lock = NSLock()
        /// Owned by `lock`: days replayed so far.
        private var days = 0

        func add(_ count: Int) -> Int { lock.withLock { days += count; return days } }
    }

    // MARK: Reports

    /// One run: each target's estimates beside its truth.
    static func runReport(_ results: [OffPolicyEvaluation.TargetResult], estimators: [OffPolicyEstimator], heading: String) -> Reply {
        var rows: [[Cell]] = []
        var footer: [String] = []
        for result in results {
            let report = result.report
            for estimator in estimators {
                let estimate = report.estimate(estimator)
                guard report.isUsable(estimator) else {
                    rows.append([.text(result.target.label), .text(estimator.rawValue), .text("unusable"), .missing, .missing,
                                 truthCell(result.truth), .missing, .missing])
                    continue
                }
                let truth = result.truth?.value
                rows.append([.text(result.target.label), .text(estimator.rawValue), .estimate(estimate.value, estimate.standardError),
                             .number(estimate.lower), .number(estimate.upper), truthCell(result.truth),
                             truth.map { .number(estimate.value - $0) } ?? .missing, truth.map { .flag(estimate.covers($0)) } ?? .missing])
            }
            footer.append(weightsLine(result))
        }
        footer.append("estimate ± its standard error; low–high is its 95% interval; * when the interval holds the truth")
        return .table(Table(title: "evaluate on " + heading,
                            headers: ["target", "estimator", "estimate", "95% low", "95% high", "truth", "error", "covers"],
                            rows: rows, footer: footer))
    }

    /// Below this effective sample size a run's weighted estimates get a warning: their normal
    /// intervals rest on too few decisions (a handful of large weights, or all-zero terms).
    static let fewEffective = 30.0

    private static func oneDecimal(_ x: Double) -> String { String(format: "%.1f", x) }

    private static func truthCell(_ truth: PolicyValue?) -> Cell {
        guard let truth else { return .missing }
        return truth.exact ? .number(truth.value) : .estimate(truth.value, truth.standardError)
    }

    /// How far the weights let the logs speak for a target.
    private static func weightsLine(_ result: OffPolicyEvaluation.TargetResult) -> String {
        let report = result.report
        var line = "\(result.target.label): effective sample size \(oneDecimal(report.effectiveSampleSize)) of \(report.decisions), "
            + "largest weight \(formatNumber(report.largestWeight))"
        if let unsupported = report.unsupported, unsupported > 0 {
            line += "; \(oneDecimal(unsupported * 100))% of its probability is on posts the logging policy could not choose: "
                + "IPS, SNIPS and DR are unusable"
        }
        if report.effectiveSampleSize < Self.fewEffective {
            line += "; with fewer than \(Int(Self.fewEffective)) effective decisions the intervals of IPS, SNIPS and DR mean little"
        }
        if report.unsupported == nil {
            line += "; the logging policy's support is unknown, so IPS, SNIPS and DR assume every post could be logged"
        }
        if let truth = result.truth, !truth.exact { line += "; truth by Monte Carlo (± its standard error)" }
        return line
    }

    /// Many runs: per logging policy, target and estimator, how the estimates did against the truth.
    static func summaryReport(
        _ results: [[OffPolicyEvaluation.TargetResult]], runs: [RunRecord], targets: [Policy], estimators: [OffPolicyEstimator],
        heading: String
    ) -> Reply {
        var rows: [[Cell]] = []
        var footer: [String] = []
        var logging: [Policy] = []
        for run in runs where !logging.contains(run.policy) { logging.append(run.policy) }
        for policy in logging {
            let own = zip(runs, results).filter { $0.0.policy == policy }.map(\.1)
            for summary in OffPolicySummary.summarise(own, targets: targets) where estimators.contains(summary.estimator) {
                var row: [Cell] = [.text(policy.label), .text(summary.target.label), .text(summary.estimator.rawValue),
                                   .integer(summary.runs), .integer(summary.usableRuns)]
                guard summary.usableRuns > 0 else {
                    rows.append(row + [.text("unusable")] + Array(repeating: Cell.missing, count: 6))
                    continue
                }
                row.append(.number(summary.meanEstimate))
                row.append(summary.meanTruth.map(Cell.number) ?? .missing)
                if let bias = summary.bias {
                    row.append(summary.biasStandardError.map { .estimate(bias, $0) } ?? .number(bias))
                } else {
                    row.append(.missing)
                }
                row += [summary.rmse.map(Cell.number) ?? .missing, summary.relativeError.map(Cell.number) ?? .missing,
                        summary.coverage.map(Cell.number) ?? .missing, .number(summary.meanStandardError)]
                rows.append(row)
            }
            for (t, target) in targets.enumerated() {
                let reports = own.map { $0[t].report }
                let n = Double(reports.count)
                let ess = reports.reduce(0) { $0 + $1.effectiveSampleSize } / n
                let largest = reports.map(\.largestWeight).max() ?? 0
                let unsupported = reports.filter { ($0.unsupported ?? 0) > 0 }.count
                var line = "\(policy.label) → \(target.label): mean effective sample size \(oneDecimal(ess)) of \(reports[0].decisions), "
                    + "largest weight \(formatNumber(largest))"
                if unsupported > 0 {
                    line += "; in \(unsupported) of \(reports.count) runs the target puts probability where the logs have none (IPS, SNIPS, DR unusable there)"
                }
                footer.append(line)
            }
        }
        if results.contains(where: { $0.contains { $0.truth?.exact == false } }) {
            footer.append("the truth is a Monte Carlo estimate (more than 20 random features): its standard error is in the view 'evaluations'")
        }
        footer.append("usable: runs where the estimator means something (IPS, SNIPS and DR need the target's support in the logs); "
                      + "over those, bias = mean(estimate − truth) ± its standard error; relative error = mean |estimate − truth| / truth; "
                      + "coverage = share of runs whose 95% interval held the truth; mean se = the runs' own standard errors")
        return .table(Table(title: "evaluate on " + heading,
                            headers: ["logging", "target", "estimator", "runs", "usable", "mean estimate", "mean truth", "bias", "rmse",
                                      "relative error", "coverage", "mean se"],
                            rows: rows, footer: footer))
    }
}
