// What each command does. Handlers read and check, then return a reply and the effects the workspace applies.

import BanditCore
import BanditJobs
import BanditStore
import Foundation

enum Handlers {
    // MARK: Experiments

    static func new(_ call: inout Invocation) throws -> Reply {
        let name = call.arguments.word("NAME")!
        let kind = call.arguments.word("KIND").flatMap(GeneratorKind.init(rawValue:)) ?? .default
        let seed = UInt32(call.arguments.integer("N") ?? 0)
        call.effects = [.createExperiment(name: name, kind: kind, seed: seed), .use(name)]
        return .text("experiment \(name): generator \(kind.rawValue), seed \(seed); draw its world with 'world'")
    }

    static func use(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.workspace.experiment(named: call.arguments.word("NAME")!)
        call.session.current = experiment.name
        return .text("using \(experiment.name)" + (experiment.world == nil ? " (no world yet)" : ""))
    }

    static func experiments(_ call: inout Invocation) throws -> Reply {
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

    static func drop(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.workspace.experiment(named: call.arguments.word("NAME")!)
        call.effects = [.drop(experiment)]
        if call.session.current == experiment.name { call.effects.append(.use(nil)) }
        return .text("dropped \(experiment.name)")
    }

    static func seed(_ call: inout Invocation) throws -> Reply {
        var experiment = try call.session.currentExperiment()
        let seed = UInt32(call.arguments.integer("N")!)
        experiment.seed = seed
        experiment.generator = Generator(kind: experiment.kind, seed: seed)
        call.effects = [.save(experiment, retiringLiveRun: false)]
        return .text("\(experiment.name): generator reseeded with \(seed)")
    }

    static func world(_ call: inout Invocation) throws -> Reply {
        var experiment = try call.session.currentExperiment()
        let features = call.arguments.integer("F") ?? 5
        let actions = call.arguments.integer("K") ?? 30
        let noise = call.arguments.real("S") ?? 0.1
        let previous = try call.workspace.store.results(experimentID: experiment.id).count
        experiment.world = try World.draw(features: features, actions: actions, noise: noise, using: &experiment.generator)
        call.effects = [.replaceWorld(experiment)]
        var lines = [worldSummary(experiment.world!)]
        if previous > 0 { lines.append("removed \(previous) result\(previous == 1 ? "" : "s") of the previous world") }
        return .text(lines.joined(separator: "\n"))
    }

    static func worldSummary(_ world: World) -> String {
        let oracle = world.oracle()
        return """
            world: d=\(world.features) features (the constant included), K=\(world.actions) posts, σ=\(world.noise)
            expected viewing time: best post (oracle) \(formatNumber(oracle.best))\(oracle.exact ? "" : " (estimated)"), \
            random post \(formatNumber(oracle.uniform))
            """
    }

    static func set(_ call: inout Invocation) throws -> Reply {
        var experiment = try call.session.currentExperiment()
        let setting = call.arguments.word("SETTING")!, value = call.arguments.integer("N")!
        switch setting {
        case "decisions": experiment.schedule.decisionsPerDay = value
        case "days":
            guard Limits.count.contains(value) else { throw CommandError.badValue("days must be from 1 to \(Limits.count.upperBound)") }
            experiment.schedule.days = value
        default:
            guard Limits.count.contains(value) else { throw CommandError.badValue("runs must be from 1 to \(Limits.count.upperBound)") }
            experiment.schedule.runs = value
        }
        call.effects = [.save(experiment, retiringLiveRun: false)]
        return .text("\(setting) = \(value)")
    }

    static func settings(_ call: inout Invocation) throws -> Reply {
        let e = try call.session.currentExperiment()
        return .table(Table(title: "experiment \(e.name)", headers: ["setting", "value"], alignments: [.left, .left], rows: [
            ["rng", e.kind.rawValue], ["seed", "\(e.seed)"],
            ["world", e.world.map { "d=\($0.features) K=\($0.actions) σ=\($0.noise)" } ?? "none yet"],
            ["policy", e.policy.label], ["decisions", "\(e.schedule.decisionsPerDay)"], ["days", "\(e.schedule.days)"],
            ["runs", "\(e.schedule.runs)"],
        ]))
    }

    static func policy(_ call: inout Invocation) throws -> Reply {
        var experiment = try call.session.currentExperiment()
        let policy = call.arguments.policies("POLICY")[0]
        experiment.policy = policy
        call.effects = [.save(experiment, retiringLiveRun: true)]
        return .text("policy \(policy.label)")
    }

    // MARK: The live run

    static func day(_ call: inout Invocation) throws -> Reply { try liveJob(&call, fitting: false) }

    static func step(_ call: inout Invocation) throws -> Reply { try liveJob(&call, fitting: true) }

    /// A `day N` or `step N` job on the live run (started when it plays if there is none).
    private static func liveJob(_ call: inout Invocation, fitting: Bool) throws -> Reply {
        let (experiment, _) = try call.session.currentWorld()
        call.effects = [.startJob(.live(experiment, days: call.arguments.integer("N") ?? 1, fitting: fitting))]
        return .empty
    }

    static func fit(_ call: inout Invocation) throws -> Reply {
        let (experiment, _) = try call.session.currentWorld()
        call.effects = [.fitLiveRun(experiment)]
        return .empty
    }

    static func reset(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.session.currentExperiment()
        call.effects = [.save(experiment, retiringLiveRun: true)]
        return .text("live run reset: the next 'day' starts a new \(experiment.policy.label) run")
    }

    // MARK: Jobs

    static func runs(_ call: inout Invocation) throws -> Reply { try runsJob(&call) }

    static func compare(_ call: inout Invocation) throws -> Reply { try runsJob(&call) }

    /// R runs × D days of each policy named (of the live policy when none is).
    private static func runsJob(_ call: inout Invocation) throws -> Reply {
        let (experiment, _) = try call.session.currentWorld()
        var schedule = experiment.schedule
        schedule.runs = call.arguments.integer("R") ?? schedule.runs
        schedule.days = call.arguments.integer("D") ?? schedule.days
        var policies: [Policy] = []
        for policy in call.arguments.policies("POLICY") where !policies.contains(policy) { policies.append(policy) }
        if policies.isEmpty { policies = [experiment.policy] }
        call.effects = [.startJob(.runs(experiment, policies: policies, schedule: schedule))]
        return .empty
    }

    static func jobs(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.session.currentExperiment()
        let jobs = try call.workspace.store.jobs(experimentID: experiment.id)
        guard !jobs.isEmpty else { return .text("no jobs yet") }
        let running = Dictionary(call.workspace.registry.running.map { ($0.jobID, $0) }, uniquingKeysWith: { a, _ in a })
        return .table(Table(headers: ["job", "command", "progress", "state"], alignments: [.right, .left, .right, .left],
                            rows: jobs.map { job in
            let resumed = job.resumed > 0 ? " (resumed \(job.resumed)×)" : ""
            let done = running[job.id].map { max($0.done, job.daysDone) } ?? job.daysDone
            var state = job.state.rawValue
            if let entry = running[job.id] {
                state = entry.background ? "running in the background" : "running"
            } else if job.state == .running {
                state = "interrupted"  // Its process is gone: `resume` continues it.
            } else if let message = job.message, job.state == .failed || job.state == .interrupted {
                state += ": " + message
            }
            return ["\(job.id)", job.command, "\(done)/\(job.daysTotal) days", state + resumed]
        }))
    }

    static func resume(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.session.currentExperiment()
        let jobs = try call.workspace.store.jobs(experimentID: experiment.id)
        let registry = call.workspace.registry
        if let playing = registry.playing(experimentID: experiment.id) { throw playing.conflict }
        // A job stored as running that no thread plays lost its process (or its state could not be stored).
        func resumable(_ job: JobRecord) -> Bool { job.state.isResumable || (job.state == .running && !registry.isRunning(job.id)) }
        let job: JobRecord
        if let id = call.arguments.integer("J") {
            guard let found = jobs.first(where: { $0.id == Int64(id) }) else {
                throw CommandError.failed("no job \(id) in experiment \(experiment.name)")
            }
            guard resumable(found) else { throw CommandError.failed("job \(id) is \(found.state.rawValue): nothing to resume") }
            job = found
        } else {
            guard let latest = jobs.last(where: resumable) else {
                throw CommandError.failed("no interrupted or cancelled job to resume")
            }
            job = latest
        }
        call.effects = [.startJob(.resume(experiment, job))]
        return .empty
    }

    static func wait(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.session.currentExperiment()
        let registry = call.workspace.registry
        let id: Int64
        if let requested = call.arguments.integer("J") {
            id = Int64(requested)
            guard try call.workspace.store.jobs(experimentID: experiment.id).contains(where: { $0.id == id }) else {
                throw CommandError.failed("no job \(requested) in experiment \(experiment.name)")
            }
        } else {
            let mine = Set(try call.workspace.store.jobs(experimentID: experiment.id).map(\.id))
            guard let latest = registry.running.last(where: { mine.contains($0.jobID) }) else {
                return .text("no job of \(experiment.name) is running")
            }
            id = latest.jobID
        }
        let progress = call.progress
        registry.wait(jobID: id, shouldStop: call.shouldStop) { entry in
            progress?(JobProgress(label: entry.command, done: entry.done, total: entry.total))
        }
        guard let job = try call.workspace.store.job(id: id) else { throw CommandError.failed("no job \(id)") }
        if registry.isRunning(id) { return .text("job \(id) still running: \(job.daysDone)/\(job.daysTotal) days") }
        return .text("job \(id) \(job.state.rawValue): \(job.command) (\(job.daysDone)/\(job.daysTotal) days)"
            + (job.message.map { "; \($0)" } ?? ""))
    }

    static func cancel(_ call: inout Invocation) throws -> Reply {
        let id = Int64(call.arguments.integer("J")!)
        guard call.workspace.registry.cancel(jobID: id) else {
            throw CommandError.failed("job \(id) is not running")
        }
        return .text("job \(id) stops at the next day boundary; its completed days are kept")
    }

    static func shutdown(_ call: inout Invocation) throws -> Reply {
        guard let shutdown = call.workspace.shutdown else {
            throw CommandError.failed("no daemon to shut down: this bandit runs without one (--no-daemon)")
        }
        shutdown()
        return .text("banditd is stopping: running jobs stop at their next day boundary and resume on its next start")
    }

    // MARK: Reports

    static func curveTable(_ curve: Curve) -> Table {
        let rows = curve.mean.indices.map { day in
            ["\(day + 1)", formatNumber(curve.mean[day]), formatNumber(curve.standardError[day])]
        }
        let asymptote = curve.asymptote.map { "asymptote (days \(Curve.asymptoteFirstDay)..\(curve.mean.count)): \(formatNumber($0))" }
        return Table(title: "\(curve.label): \(curve.runs) runs", headers: ["day", "mean", "se"], rows: rows,
                     footer: asymptote.map { [$0] } ?? [])
    }

    static func stats(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.session.currentExperiment()
        let store = call.workspace.store
        var replies: [Reply] = []
        if let world = experiment.world, let record = try store.liveRun(experimentID: experiment.id),
           case let summary = try store.summary(of: record, world: world), summary.days > 0 {
            replies.append(.table(try liveRunTable(summary, store: store)))
            replies.append(.text("picks per post: " + summary.picks.enumerated().map { "\($0.offset):\($0.element)" }.joined(separator: " ")))
        } else {
            replies.append(.text("live run: none yet (policy \(experiment.policy.label))"))
        }
        let results = try store.results(experimentID: experiment.id)
        if results.isEmpty {
            replies.append(.text("stored results: none yet ('runs' or 'compare' makes some)"))
        } else {
            replies.append(.table(resultsTable(results.map(\.curve), oracle: experiment.world?.oracle().best)))
            if results.count > 1 { replies.append(.table(finalDayDifferences(results.map(\.curve)))) }
        }
        return .sequence(replies)
    }

    /// Days listed one by one in `stats`; a longer live run shows its older days in bins.
    static let recentDays = 20
    /// Bins a long live run's older days are summarised in, at most.
    static let dayBins = 20

    /// The live run's days: all of them when few, else its older days in at most `dayBins` bins
    /// and its last `recentDays` days (every day is in `export days`).
    static func liveRunTable(_ summary: RunSummary, store: Store) throws -> Table {
        let id = summary.record.id
        var rows: [[String]] = []
        var footer: [String] = []
        var firstListed = 1
        if summary.days > recentDays + dayBins {
            let older = summary.days - recentDays
            let width = (older + dayBins - 1) / dayBins
            for bin in try store.dayBins(runID: id, through: older, width: width) {
                rows.append(["\(bin.firstDay)–\(bin.lastDay)", "\(bin.decisions)", formatNumber(bin.meanViewingTime), formatNumber(bin.regret)])
            }
            firstListed = older + 1
            footer.append("days \(1)–\(older) in bins of \(width) (per decision); 'export days FILE' writes every day")
        }
        for day in try store.days(runID: id, from: firstListed) {
            rows.append(["\(day.day)", "\(day.decisions)", formatNumber(day.meanViewingTime), formatNumber(day.regret)])
        }
        return Table(title: "live run: \(summary.record.policy.label), \(summary.days) days, \(summary.decisions) decisions, \(summary.fits) fits",
                     headers: ["day", "decisions", "mean viewing time", "regret"], rows: rows, footer: footer)
    }

    /// Per day, each result's mean ± SE; then asymptotes and regret against the oracle.
    static func resultsTable(_ curves: [Curve], oracle: Double?) -> Table {
        let days = curves.map(\.mean.count).max() ?? 0
        let rows = (0..<days).map { day in
            ["\(day + 1)"] + curves.map { c in
                day < c.mean.count ? "\(formatNumber(c.mean[day])) ± \(formatNumber(c.standardError[day]))" : ""
            }
        }
        var footer: [String] = []
        for c in curves {
            var line = "\(c.label) (\(c.runs) runs): asymptote \(c.asymptote.map(formatNumber) ?? "n/a (fewer than 5 days)")"
            if let oracle, let asymptote = c.asymptote { line += ", regret \(formatNumber(oracle - asymptote))" }
            footer.append(line)
        }
        return Table(title: "stored results: mean viewing time ± SE per day", headers: ["day"] + curves.map(\.label),
                     rows: rows, footer: footer)
    }

    /// For each pair of results, the difference of their final-day means with its standard error
    /// √(se₁² + se₂²), and whether it stands out of the noise (|difference| > 2 SE).
    static func finalDayDifferences(_ curves: [Curve]) -> Table {
        var rows: [[String]] = []
        for (i, a) in curves.enumerated() {
            for b in curves[(i + 1)...] {
                guard let ma = a.mean.last, let mb = b.mean.last, let sa = a.standardError.last, let sb = b.standardError.last else { continue }
                let difference = mb - ma, se = (sa * sa + sb * sb).squareRoot()
                let verdict = se > 0 && abs(difference) > 2 * se
                    ? "\(difference > 0 ? b.label : a.label) better (\(String(format: "%.1f", abs(difference) / se)) SE)"
                    : "within noise (\(se > 0 ? String(format: "%.1f", abs(difference) / se) : "—") SE)"
                rows.append(["\(b.label) − \(a.label)", "day \(min(a.mean.count, b.mean.count))", formatNumber(difference), formatNumber(se), verdict])
            }
        }
        return Table(title: "final-day differences (SE = √(se₁² + se₂²); runs taken as independent)",
                     headers: ["pair", "day", "difference", "se", "verdict"], alignments: [.left, .left, .right, .right, .left], rows: rows)
    }

    static func betas(_ call: inout Invocation) throws -> Reply {
        let (experiment, world) = try call.session.currentWorld()
        let store = call.workspace.store
        guard let record = try store.liveRun(experimentID: experiment.id) else {
            throw CommandError.failed("no live run yet: play a day first with 'day'")
        }
        let checkpoint = try store.latestCheckpoint(runID: record.id, world: world)
        let d = world.features, k = world.actions
        let actions: [Int]
        if let action = call.arguments.integer("ACTION") {
            guard action < k else { throw CommandError.badValue("ACTION must be from 0 to \(k - 1)") }
            actions = [action]
        } else {
            actions = Array(0..<k)
        }
        let members = checkpoint.members, c = checkpoint.coefficients
        let headers = ["post"] + (0..<d).map { "β\($0)" }
        if members == 1 {
            let rows = actions.map { a in ["\(a)"] + (0..<d).map { j in formatNumber(c[j * k + a]) } }
            return .table(Table(title: "\(record.policy.label) coefficients after \(checkpoint.fits) fits", headers: headers, rows: rows))
        }
        let rows = actions.map { a in
            ["\(a)"] + (0..<d).map { j -> String in
                let values = (0..<members).map { c[($0 * d + j) * k + a] }
                let mean = values.reduce(0, +) / Double(members)
                let spread = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(members)).squareRoot()
                return "\(formatNumber(mean)) ± \(formatNumber(spread))"
            }
        }
        return .table(Table(title: "\(record.policy.label) ensemble of \(members): mean ± spread after \(checkpoint.fits) fits",
                            headers: headers, rows: rows))
    }

    static func log(_ call: inout Invocation) throws -> Reply {
        let (experiment, world) = try call.session.currentWorld()
        guard let record = try call.workspace.store.liveRun(experimentID: experiment.id) else {
            throw CommandError.failed("no live run yet: play a day first with 'day'")
        }
        let recent = try call.workspace.store.recentDecisions(runID: record.id, limit: call.arguments.integer("N") ?? 10)
        guard !recent.isEmpty else { return .text("no decisions logged yet") }
        return .table(Table(headers: ["day", "context", "post", "propensity", "viewing time"],
                            alignments: [.right, .left, .right, .right, .right], rows: recent.map { day, decision in
            ["\(day)", contextText(decision.context, features: world.features), "\(decision.action)",
             formatNumber(decision.propensity), formatNumber(decision.viewingTime)]
        }))
    }

    /// A context as its features, feature 0 first: `1 0 1 1 0`.
    static func contextText(_ context: UInt64, features: Int) -> String {
        (0..<features).map { context >> UInt64($0) & 1 == 1 ? "1" : "0" }.joined(separator: " ")
    }

    static func plot(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.session.currentExperiment()
        var file = call.arguments.word("FILE")
        var policies = call.arguments.policies("POLICY")
        // A first word that names a policy, not a file: `plot greedy ts:30`.
        if let word = file, !word.lowercased().hasSuffix(".svg"), let parsed = try? Policy(label: word.lowercased()) {
            policies.insert(parsed, at: 0)
            file = nil
        }
        if let path = file, !path.lowercased().hasSuffix(".svg") {
            throw CommandError.badValue("plot writes SVG: FILE must end in .svg, not '\(echo(path))'")
        }
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
        if let first = results.first {
            title += ", \(first.curve.runs) runs × \(first.curve.mean.count) days"
            request = PlotRequest(title: title, series: results.map {
                .init(label: $0.curve.label, mean: $0.curve.mean, standardError: $0.curve.standardError, asymptote: $0.curve.asymptote)
            }, file: file.map(call.session.resolve))
        } else if let world, let record = try call.workspace.store.liveRun(experimentID: experiment.id),
                  case let days = try call.workspace.store.days(runID: record.id), !days.isEmpty {
            title += ", live run (\(record.policy.label))"
            request = PlotRequest(title: title, series: [.init(label: record.policy.label, mean: days.map(\.meanViewingTime),
                                                               standardError: nil, asymptote: nil)], file: file.map(call.session.resolve))
            request.reference = .init(value: world.oracle().best, label: "oracle, expected viewing time = \(String(format: "%.2f", world.oracle().best))")
        } else {
            throw CommandError.failed("nothing to plot yet: 'runs', 'compare' or 'day' first")
        }
        return .plot(request)
    }

    static func export(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.session.currentExperiment()
        let path = call.session.resolve(call.arguments.word("FILE")!)
        var csv: String
        var rows = 0
        let what = call.arguments.word("WHAT")
        if what == "curves" {
            let results = try call.workspace.store.results(experimentID: experiment.id)
            csv = "policy,day,runs,mean,se\n"
            for result in results {
                let c = result.curve
                for day in c.mean.indices {
                    csv += "\(c.label),\(day + 1),\(c.runs),\(c.mean[day].description),\(c.standardError[day].description)\n"
                    rows += 1
                }
            }
        } else if what == "days" {
            guard let record = try call.workspace.store.liveRun(experimentID: experiment.id) else {
                throw CommandError.failed("no live run yet: play a day first with 'day'")
            }
            csv = "day,decisions,mean_viewing_time,regret\n"
            for day in try call.workspace.store.days(runID: record.id) {
                csv += "\(day.day),\(day.decisions),\(day.meanViewingTime.description),\(day.regret.description)\n"
                rows += 1
            }
        } else {
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
        do {
            try Data(csv.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CommandError.failed("cannot write \(path): \((error as NSError).localizedFailureReason ?? error.localizedDescription)")
        }
        return .text("wrote \(rows) rows to \(path)")
    }

    // MARK: Help

    static func help(_ call: inout Invocation) throws -> Reply {
        if let word = call.arguments.word("COMMAND") { return .text(Help.detail(try Command.resolve(word))) }
        return .text(Help.overview())
    }

    static func quit(_ call: inout Invocation) throws -> Reply { .text("") }
}
