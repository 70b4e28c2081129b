// sweep: a job's runs as a Slurm array (or local processes), planned, watched and merged back bit for bit.

import BanditCore
import BanditStore
import Foundation

enum SweepCommand {
    enum Action: String, CaseIterable, Sendable { case plan, merge, status }
    static let action = Argument<Action>.choice("plan|merge|status", help: "make a plan, gather its shards, or say how far they are")
    static let words = Argument<[String]>.rest("ARGS", help: "as each action takes them (below)")

    static let command = Command(
        "sweep", arguments: [action, words], flags: [.needsExperiment, .detaches],
        summary: "a runs or compare job as shards for a Slurm array or local processes, merged bit for bit",
        details: """
            'sweep plan COMMAND shards N into DIR [local]': COMMAND is a 'runs ...' or 'compare ...' of the \
            current experiment (default generator only: with numpy every run continues the previous one's \
            stream, so runs cannot be played apart). Writes DIR/sweep.json (the world, settings, generator, \
            command, and which runs each of the N shards plays) and DIR/sweep.sbatch, a Slurm batch script of \
            an array of N tasks, each 'bandit --no-daemon --state-dir DIR/shard-I shard DIR/sweep.json I', \
            with --time and --mem from an estimate and --requeue (edit the options for your cluster; submit \
            with 'sbatch DIR/sweep.sbatch'). With 'local', also plays the N shards at once as processes on this \
            machine, showing progress, and waits for them; with '&' it returns at once and the shards go on \
            ('sweep status DIR' follows them).
            \n\
            'sweep status DIR': each shard done, running (or stopped) with its days, or missing, from the shard \
            stores alone; with Slurm's squeue on the PATH, the array's tasks too.
            \n\
            'sweep merge DIR [as NAME] [partial] [without decisions]': checks every shard against the plan (same \
            plan, world, command and generator: a shard of another plan is refused), then adds to the current \
            experiment (or to a new experiment NAME) in one transaction a finished job with every run, its days \
            and decisions, and each policy's curve: the same numbers, bit for bit, as the command played by one \
            daemon. Missing or unfinished shards are listed with the command that plays them again; 'partial' \
            merges the runs that are done (a later full merge replaces it).
            """,
        examples: ["sweep plan compare greedy eps:0.1 ts:30 runs 40 shards 8 into sweep1", "sweep status sweep1",
                   "sweep merge sweep1"],
        handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        if call.background && !(call[Self.action] == .plan && call[Self.words].contains { $0.lowercased() == "local" }) {
            throw CommandError.usage("only 'sweep plan ... local' runs in the background ('&'): its shards go on as processes")
        }
        switch call[Self.action] {
        case .plan: return try plan(&call)
        case .status: return try status(call)
        case .merge: return try merge(&call)
        }
    }

    // MARK: Paths and the plan file

    static func resolve(_ path: String, workingDirectory: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: workingDirectory, isDirectory: true)).standardizedFileURL.path
    }

    /// The plan at `path` (a sweep.json, or a directory holding one), read and checked.
    static func readSpec(_ path: String, workingDirectory: String) throws -> SweepSpec {
        var file = resolve(path, workingDirectory: workingDirectory)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), isDirectory.boolValue {
            file += "/" + SweepSpec.fileName
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CommandError.failed("cannot read \(echo(path)): no sweep plan there ('sweep plan ... into DIR' writes one)")
        }
        do {
            return try SweepSpec.decode(data)
        } catch {
            throw CommandError.failed("\(echo(path)): \(error.description)")
        }
    }

    static func shardDirectory(_ directory: String, _ index: Int) -> String { directory + "/shard-\(index)" }

    // MARK: plan

    private static func plan(_ call: inout Invocation) throws -> Reply {
        var words = call[Self.words]
        guard let shardsAt = words.firstIndex(where: { $0.lowercased() == "shards" }) else {
            throw CommandError.usage("usage: sweep plan COMMAND shards N into DIR [local]")
        }
        let inner = Array(words[..<shardsAt])
        words.removeSubrange(..<shardsAt)
        var shards: Int?, directory: String?, local = false
        var rest = words[...]
        while let word = rest.popFirst() {
            switch word.lowercased() {
            case "shards":
                guard let text = rest.popFirst(), let n = Int(text), (1...10_000).contains(n) else {
                    throw CommandError.badValue("shards must be an integer from 1 to 10000")
                }
                shards = n
            case "into":
                guard let text = rest.popFirst() else { throw CommandError.usage("into needs a directory") }
                directory = text
            case "local": local = true
            default: throw CommandError.usage("unexpected '\(echo(word))'; usage: sweep plan COMMAND shards N into DIR [local]")
            }
        }
        guard let shards, let directory else { throw CommandError.usage("usage: sweep plan COMMAND shards N into DIR [local]") }
        // The inner command, bound and checked as it would be typed: its handler says what job it asks for.
        guard let first = inner.first, let command = try? Command.resolve(first), command.name == RunsCommand.command.name
                || command.name == CompareCommand.command.name else {
            throw CommandError.usage("sweep plan takes a 'runs ...' or 'compare ...' command before 'shards'")
        }
        let arguments = try bind(inner.dropFirst(), to: command)
        var innerCall = Invocation(session: call.session, arguments: arguments, text: inner.joined(separator: " "), progress: nil,
                                   shouldStop: { false }, background: false)
        _ = try command.handler(&innerCall)
        guard case .startJob(.runs(let experiment, let policies, let schedule))? = innerCall.effects.first, let world = experiment.world else {
            throw CommandError.failed("sweep plan: '\(innerCall.text)' asks for no runs")
        }
        guard experiment.kind == .default else {
            throw CommandError.failed("experiment \(experiment.name) uses the numpy generator, whose runs continue each other's stream: "
                                      + "they cannot be played apart; a sweep needs the default generator ('new NAME rng default')")
        }
        guard shards <= schedule.runs else {
            throw CommandError.badValue("\(counted(shards, "shard")) for \(counted(schedule.runs, "run")) per policy: at most one shard per run")
        }
        let path = resolve(directory, workingDirectory: call.session.workingDirectory)
        if FileManager.default.fileExists(atPath: path + "/" + SweepSpec.fileName) {
            throw CommandError.failed("\(echo(directory)) holds a plan already: merge it, or plan into another directory")
        }
        let spec = SweepSpec(plan: newPlanID(), experiment: experiment, world: world, command: innerCall.text, policies: policies,
                             schedule: schedule, shards: shards)
        // The timing probe plays one run of each policy here; 'local' plays every shard at once.
        var probe = schedule
        (probe.runs, probe.days) = (1, min(schedule.days, 3))
        try call.workspace.checkBudget(Footprint.job(world: world, policies: policies, schedule: probe, kind: .default, threads: 1),
                                       work: "sweep plan's timing of \(policies.map(\.label).joined(separator: " "))")
        if local {
            var shard = schedule
            shard.runs = spec.slices.map(\.count).max()!
            var all = Footprint.job(world: world, policies: policies, schedule: shard, kind: .default, threads: 1)
            all.memory = all.memory * shards
            all.disk = Footprint.job(world: world, policies: policies, schedule: schedule, kind: .default, threads: 1).disk
            try call.workspace.checkBudget(all, work: "\(counted(shards, "local shard"))")
        }
        let resources = estimate(world: world, policies: policies, schedule: schedule, spec: spec)
        let bandit = banditExecutable()
        do {
            try FileManager.default.createDirectory(atPath: path + "/logs", withIntermediateDirectories: true)
            try spec.encoded().write(to: URL(fileURLWithPath: path + "/" + SweepSpec.fileName))
            let script = batchScript(spec, directory: path, bandit: bandit, resources: resources)
            try script.write(toFile: path + "/" + SweepSpec.scriptName, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path + "/" + SweepSpec.scriptName)
        } catch {
            throw CommandError.failed("cannot write the plan into \(echo(directory)): \(error.localizedDescription)")
        }
        var lines = [
            "plan \(spec.plan): \(spec.command), \(counted(schedule.runs, "run")) per policy in \(counted(shards, "shard")) "
                + "(\(spec.slices.map(\.count).min()!)–\(spec.slices.map(\.count).max()!) runs each), written to \(path)",
            "each shard: about \(resources.memoryMB) MB and \(resources.time) at most (the estimate, with room; edit \(SweepSpec.scriptName) for your cluster)",
        ]
        guard local else {
            lines.append("next: 'sbatch \(path)/\(SweepSpec.scriptName)', then 'sweep status \(directory)' and 'sweep merge \(directory)'")
            return .text(lines.joined(separator: "\n"))
        }
        if call.background {
            let children = try startShards(spec, directory: path, bandit: bandit)
            // They are this process's children: a thread reaps them as they end.
            Thread.detachNewThread {
                var running = children
                while running.indices.map({ running[$0].isRunning() }).contains(true) { usleep(500_000) }
            }
            lines.append("started \(counted(shards, "shard")) as processes here (\(children.map { String($0.pid) }.joined(separator: ", "))); "
                         + "'sweep status \(directory)' follows them, 'sweep merge \(directory)' once they are done")
            return .text(lines.joined(separator: "\n"))
        }
        try playLocally(spec, directory: path, bandit: bandit, call: call)
        lines.append("played \(counted(shards, "shard")) here; next: 'sweep merge \(directory)'")
        return .text(lines.joined(separator: "\n"))
    }

    /// A plan's identifier: 16 random hex digits.
    private static func newPlanID() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(format: "%016llx", generator.next() as UInt64)
    }

    /// `bandit` beside this executable (banditd's or bandit's own), else on the PATH.
    static func banditExecutable() -> String {
        let here = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        let sibling = URL(fileURLWithPath: here).deletingLastPathComponent().appendingPathComponent("bandit").path
        if FileManager.default.isExecutableFile(atPath: sibling) { return sibling }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/bandit"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "bandit"
    }

    struct Resources {
        var memoryMB: Int
        var seconds: Double
        var time: String
    }

    /// A shard's memory (the engine's estimate of its runs, one at a time, with a quarter more) and
    /// time: one run of each policy timed here for a few days, scaled to the shard's runs and days,
    /// doubled (a fit grows with the log) and doubled again, at least ten minutes.
    static func estimate(world: World, policies: [Policy], schedule: Schedule, spec: SweepSpec) -> Resources {
        var shard = schedule
        shard.runs = spec.slices.map(\.count).max()!
        let footprint = Footprint.job(world: world, policies: policies, schedule: shard, kind: .default, threads: 1)
        let memoryMB = Int((Double(footprint.memory) * 1.25 / 1_048_576).rounded(.up))
        var probe = schedule
        probe.days = min(schedule.days, 3)
        probe.runs = 1
        var perRun = 0.0
        for policy in policies {
            let clock = ContinuousClock(), start = clock.now
            var run = Run(world: world, policy: policy, generator: Generator(kind: .default, seed: 1), oracleValue: 0,
                          ridge: schedule.ridge, warmup: schedule.warmup)
            _ = Experiment.play(&run, schedule: probe)
            let elapsed = clock.now - start
            perRun += (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18) * Double(schedule.days) / Double(probe.days)
        }
        let seconds = max(600, perRun * Double(shard.runs) * 4)
        let total = Int(seconds.rounded(.up))
        let (days, hours, minutes, secs) = (total / 86_400, total % 86_400 / 3600, total % 3600 / 60, total % 60)
        let time = days > 0 ? String(format: "%d-%02d:%02d:%02d", days, hours, minutes, secs) : String(format: "%02d:%02d:%02d", hours, minutes, secs)
        return Resources(memoryMB: memoryMB, seconds: seconds, time: time)
    }

    static func batchScript(_ spec: SweepSpec, directory: String, bandit: String, resources: Resources) -> String {
        """
        #!/bin/bash
        # bandit sweep plan \(spec.plan): \(spec.command) (experiment \(spec.experiment)), \(spec.runs) runs per policy
        # in \(spec.shards.count) shards. Submit with: sbatch \(directory)/\(SweepSpec.scriptName)
        # Then: bandit -c 'sweep status \(directory)' and, once all are done, bandit -c 'sweep merge \(directory)'.
        # --time and --mem are bandit's estimate with room to spare; add --partition or --account as your
        # cluster wants. A task that is requeued or started again continues from its last committed day.
        #SBATCH --job-name=bandit-\(spec.plan)
        #SBATCH --array=0-\(spec.shards.count - 1)
        #SBATCH --ntasks=1
        #SBATCH --cpus-per-task=1
        #SBATCH --mem=\(resources.memoryMB)M
        #SBATCH --time=\(resources.time)
        #SBATCH --requeue
        #SBATCH --open-mode=append
        #SBATCH --output=\(directory)/logs/shard-%a.out
        exec \(shellQuoted(bandit)) --no-daemon --state-dir \(shellQuoted(directory))/shard-"$SLURM_ARRAY_TASK_ID" \\
            shard \(shellQuoted(directory + "/" + SweepSpec.fileName)) "$SLURM_ARRAY_TASK_ID"

        """
    }

    static func shellQuoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    // MARK: local

    /// Plays every shard as a process of its own on this machine, at once, and waits for them, with
    /// progress from the shard stores; Ctrl-C stops them (each at a day boundary, so that starting
    /// them again continues).
    /// Starts every shard as a process of its own, each logging to DIR/logs/shard-I.out.
    private static func startShards(_ spec: SweepSpec, directory: String, bandit: String) throws -> [ChildProcess] {
        var children: [ChildProcess] = []
        for index in spec.shards.indices {
            do {
                children.append(try ChildProcess.start(bandit, ["--no-daemon", "--state-dir", shardDirectory(directory, index), "shard",
                                                                directory + "/" + SweepSpec.fileName, "\(index)"],
                                                       output: directory + "/logs/shard-\(index).out"))
            } catch {
                for child in children { child.signal(SIGINT) }
                throw error
            }
        }
        return children
    }

    private static func playLocally(_ spec: SweepSpec, directory: String, bandit: String, call: Invocation) throws {
        var children = try startShards(spec, directory: directory, bandit: bandit)
        let total = spec.policies.count * spec.runs * spec.days
        var stopped = false
        while children.indices.map({ children[$0].isRunning() }).contains(true) {
            if !stopped && call.shouldStop() {
                // SIGINT: each shard stops at its next day boundary, as a Ctrl-C would stop it.
                for child in children { child.signal(SIGINT) }
                stopped = true
            }
            call.progress?(JobProgress(label: "sweep \(spec.plan)", done: min(total - 1, daysDone(spec, directory: directory)), total: total))
            usleep(200_000)
        }
        call.progress?(JobProgress(label: "sweep \(spec.plan)", done: total, total: total))
        if stopped { throw CommandError.failed("sweep stopped; 'sweep plan' is done: 'sweep status \(directory)' says where each shard is") }
        let failed = children.indices.filter { children[$0].status != 0 }
        guard failed.isEmpty else {
            throw CommandError.failed("shard\(failed.count == 1 ? "" : "s") \(failed.map(String.init).joined(separator: ", ")) failed: "
                                      + "see \(directory)/logs/shard-\(failed[0]).out")
        }
    }

    /// Days committed across the shards, from their stores.
    private static func daysDone(_ spec: SweepSpec, directory: String) -> Int {
        spec.shards.indices.reduce(0) { sum, index in
            // A shard store that cannot be read this instant (being created) counts as nothing yet.
            let states = (try? Store.readShards(directory: shardDirectory(directory, index))) ?? []
            return sum + (states.first { $0.plan == spec.plan }?.daysDone ?? 0)
        }
    }

    // MARK: status

    /// Each shard of a plan: done, unfinished (with its days), missing or foreign.
    struct ShardReport {
        var index: Int
        var state: ShardState?
        var problem: String?

        var isDone: Bool { problem == nil && state?.state == .finished }
    }

    static func reports(_ spec: SweepSpec, directory: String) -> [ShardReport] {
        spec.shards.indices.map { index in
            let states: [ShardState]
            do {
                states = try Store.readShards(directory: shardDirectory(directory, index))
            } catch {
                return ShardReport(index: index, state: nil, problem: "unreadable: \(Interpreter.message(error))")
            }
            guard let state = states.first else { return ShardReport(index: index, state: nil, problem: nil) }
            guard let mine = states.first(where: { $0.plan == spec.plan }) else {
                return ShardReport(index: index, state: state, problem: "foreign: it plays plan \(state.plan), not \(spec.plan)")
            }
            return ShardReport(index: index, state: mine, problem: mismatch(mine, spec: spec, index: index))
        }
    }

    /// Why a shard store does not hold this plan's shard `index`, if it does not.
    static func mismatch(_ state: ShardState, spec: SweepSpec, index: Int) -> String? {
        if state.index != index { return "it holds shard \(state.index), not \(index)" }
        if state.world != (try? spec.world()) { return "its world is not the plan's" }
        if state.command != spec.command || state.policies.map(\.label) != spec.policies { return "its command is not the plan's" }
        if state.startGenerator != (try? spec.generator()) { return "its generator is not the plan's" }
        if state.ordinals != spec.slices[index] { return "its runs are not the ones the plan gives it" }
        return nil
    }

    private static func status(_ call: Invocation) throws -> Reply {
        guard let directory = call[Self.words].first, call[Self.words].count == 1 else { throw CommandError.usage("usage: sweep status DIR") }
        let path = resolve(directory, workingDirectory: call.session.workingDirectory)
        let spec = try readSpec(path, workingDirectory: call.session.workingDirectory)
        let reports = reports(spec, directory: path)
        let (queue, queueNote) = slurmQueue(plan: spec.plan)
        let rows: [[Cell]] = reports.map { report in
            let slice = spec.slices[report.index]
            let what: String
            if let problem = report.problem { what = problem }
            else if let state = report.state { what = state.state == .finished ? "done" : state.state.rawValue }
            else { what = "missing" }
            return [.integer(report.index), .text("\(slice.lowerBound)–\(slice.upperBound - 1)"), .text(what),
                    report.state.map { .progress($0.daysDone, of: $0.daysTotal) } ?? .missing,
                    queue.map { .text($0[report.index] ?? "—") } ?? .missing]
        }
        let done = reports.count(where: \.isDone)
        var footer = ["\(done) of \(counted(reports.count, "shard")) done"]
        if let queueNote { footer.append(queueNote) }
        if done < reports.count { footer.append("play one again: " + rerunCommand(directory: path, index: "I")) }
        return .table(Table(title: "plan \(spec.plan): \(spec.command), \(counted(spec.runs, "run")) per policy", headers: ["shard", "runs", "state", "days", "slurm"],
                            rows: rows, footer: footer))
    }

    static func rerunCommand(directory: String, index: String) -> String {
        "bandit --no-daemon --state-dir \(shellQuoted(directory))/shard-\(index) shard \(shellQuoted(directory + "/" + SweepSpec.fileName)) \(index)"
    }

    /// The Slurm array's tasks of this plan by index (`squeue`), or why there are none to show.
    static func slurmQueue(plan: String) -> (tasks: [Int: String]?, note: String?) {
        let squeue = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .map { "\($0)/squeue" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let squeue else { return (nil, "squeue is not on the PATH: no Slurm column") }
        let result: (status: Int32, output: String)
        do {
            result = try ChildProcess.run(squeue, ["--noheader", "--array", "--name=bandit-\(plan)", "--format=%K %T"], timeout: 10)
        } catch {
            return (nil, "squeue did not start: \(Interpreter.message(error))")
        }
        guard result.status == 0 else {
            return (nil, "squeue failed: " + (result.output.split(separator: "\n").first.map(String.init) ?? "status \(result.status)"))
        }
        var tasks: [Int: String] = [:]
        for line in result.output.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, let index = Int(fields[0]) { tasks[index] = fields[1].lowercased() }
        }
        return (tasks, nil)
    }

    // MARK: merge

    private static func merge(_ call: inout Invocation) throws -> Reply {
        var words = call[Self.words][...]
        guard let directory = words.popFirst() else { throw CommandError.usage("usage: sweep merge DIR [as NAME] [partial] [without decisions]") }
        var name: String?, partial = false, decisions = true
        while let word = words.popFirst() {
            switch word.lowercased() {
            case "as":
                guard let given = words.popFirst(), isValidName(given) else {
                    throw CommandError.badValue("as needs a name: 1 to 64 letters, digits, '.', '_' or '-'")
                }
                name = given
            case "partial": partial = true
            case "without":
                guard words.popFirst()?.lowercased() == "decisions" else { throw CommandError.usage("'without' takes 'decisions'") }
                decisions = false
            default: throw CommandError.usage("unexpected '\(echo(word))'; usage: sweep merge DIR [as NAME] [partial] [without decisions]")
            }
        }
        let path = resolve(directory, workingDirectory: call.session.workingDirectory)
        let spec = try readSpec(path, workingDirectory: call.session.workingDirectory)
        let reports = reports(spec, directory: path)
        if let foreign = reports.first(where: { $0.problem != nil }) {
            throw CommandError.failed("shard \(foreign.index) (\(path)/shard-\(foreign.index)) is refused: \(foreign.problem!); nothing merged")
        }
        let unfinished = reports.filter { !$0.isDone }
        if !unfinished.isEmpty && !partial {
            let list = unfinished.map { "\($0.index) (\($0.state.map { "\($0.daysDone)/\($0.daysTotal) days" } ?? "missing"))" }
            throw CommandError.failed("shards not done: \(list.joined(separator: ", ")); nothing merged. Play each again with "
                                      + rerunCommand(directory: path, index: "I") + ", or 'sweep merge \(directory) partial' to merge the runs that are done")
        }
        let experiment = try call.session.currentExperiment()
        if name == nil, let running = call.workspace.registry.playing(experimentID: experiment.id) { throw running.conflict }
        if name == nil {
            guard experiment.world == (try? spec.world()) else {
                throw CommandError.failed("experiment \(experiment.name) has another world than plan \(spec.plan): 'sweep merge \(directory) as NAME' "
                                          + "merges it into a new experiment")
            }
        }
        let shards = reports.filter { $0.state != nil }.map { shardDirectory(path, $0.index) }
        call.effects = [.mergeSweep(spec, shards: shards, into: name ?? experiment.name, create: name != nil, decisions: decisions,
                                    partial: !unfinished.isEmpty)]
        if let name { call.effects.append(.use(name)) }
        return .empty
    }
}
