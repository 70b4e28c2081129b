// bandit-bench: timed workloads of the release build (`make bench`); figures, never pass/fail.
//
// Each workload runs in a child process of its own, so that its peak memory is its own.

import BanditCommands
import BanditCore
import BanditStore
import Foundation

let clock = ContinuousClock()

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

/// The median of `repeats` timings of `body` (which may prepare untimed work in `setup`).
func median(_ repeats: Int, setup: () throws -> Void = {}, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<repeats {
        try setup()
        let start = clock.now
        try body()
        times.append(seconds(clock.now - start))
    }
    return times.sorted()[times.count / 2]
}

func scratchDirectory() -> String {
    let path = NSTemporaryDirectory() + "bandit-bench-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func report(_ name: String, _ time: Double, decisions: Int? = nil, extra: String = "") {
    let figure = time < 0.001 ? String(format: "%9.1f µs", time * 1e6) : String(format: "%9.1f ms", time * 1000)
    var line = name.padding(toLength: 64, withPad: " ", startingAt: 0) + figure
    if let decisions { line += String(format: "  %12.0f decisions/s", Double(decisions) / time) }
    print(line + extra)
}

let notebookScript = ["world features 5 actions 30", "compare greedy eps:0.1 ts:30 runs 10 days 14"]

/// Workloads that replay the notebook's three experiments note their time in a file the parent
/// names, so that `--reference` can print each one's ratio to the notebook in the same run.
func noteNotebookTime(_ label: String, _ time: Double) {
    guard let path = ProcessInfo.processInfo.environment["BANDIT_BENCH_TIMES"],
          let handle = FileHandle(forWritingAtPath: path) else { return }
    handle.seekToEndOfFile()
    handle.write(Data("\(time)\t\(label)\n".utf8))
    handle.closeFile()
}

/// 1. The notebook's three experiments through the command interpreter, as the daemon executes them:
/// every decision, day and checkpoint committed to SQLite.
func wholeProduct(kind: GeneratorKind) throws {
    var directory = ""
    let time = try median(5, setup: { directory = scratchDirectory() }) {
        let store = try Store(directory: directory)
        let session = Session(workspace: Workspace(store: store), workingDirectory: directory)
        let interpreter = Interpreter(session: session)
        for line in ["new nb rng \(kind.rawValue) seed 17"] + notebookScript {
            for outcome in interpreter.run(line) where outcome.error != nil {
                throw CommandError.failed("\(line): \(outcome.error!)")
            }
        }
        store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
    report("1. notebook, whole product with SQLite (\(kind.rawValue))", time, decisions: 3 * 10 * 14 * 100)
    noteNotebookTime("1. whole product with SQLite (\(kind.rawValue))", time)
}

/// 2. The same in the engine alone.
func engineAlone(kind: GeneratorKind, threads: Int) throws {
    var generator = Generator(kind: kind, seed: 17)
    let world = try World.draw(features: 5, actions: 30, using: &generator)
    let oracle = world.oracle().best
    let time = try median(7) {
        var g = generator
        _ = Experiment.compare(world: world, policies: [.greedy, .epsilonGreedy(0.1), .thompson(30)], schedule: Schedule(),
                               generator: &g, oracleValue: oracle, threads: threads)
    }
    let label = "engine alone (\(kind.rawValue), \(threads) thread\(threads == 1 ? "" : "s"))"
    report("2. notebook, \(label)", time, decisions: 3 * 10 * 14 * 100)
    noteNotebookTime("2. \(label)", time)
}

/// 3. Scale: a large Thompson-sampling world, and greedy at 100,000 decisions a day.
func scale() throws {
    var generator = Generator(kind: .default, seed: 3)
    let big = try World.draw(features: 20, actions: 200, using: &generator)
    let oracle = big.oracle().best
    let ts = try median(1) {
        var g = generator
        _ = Experiment.runSequences(world: big, policy: .thompson(30), schedule: Schedule(decisionsPerDay: 2000, days: 14, runs: 3),
                                    generator: &g, oracleValue: oracle)
    }
    report("3. ts:30, 20 features, 200 posts, 2,000/day, 14 days, 3 runs", ts, decisions: 3 * 14 * 2000)
    let small = try World.draw(features: 5, actions: 30, using: &generator)
    let greedy = try median(3) {
        var run = Run(world: small, policy: .greedy, generator: generator, oracleValue: 0)
        for _ in 0..<30 {
            run.playDay(decisions: 100_000)
            run.fit()
        }
    }
    report("3. greedy, 100,000 decisions a day for 30 days (engine)", greedy, decisions: 30 * 100_000)
}

/// 3b. How the cost of a fit grows with the decisions logged: greedy, ε-greedy and the online
/// bootstrap keep sufficient statistics (flat), Thompson sampling resamples every decision (linear).
func growth() throws {
    var generator = Generator(kind: .default, seed: 4)
    let world = try World.draw(features: 5, actions: 30, using: &generator)
    for perDay in [100, 1_000, 10_000] {
        for policy in [Policy.greedy, .epsilonGreedy(0.1), .thompson(30), .onlineBootstrap(30)] {
            var run = Run(world: world, policy: policy, generator: generator, oracleValue: 0)
            for _ in 0..<13 {
                run.playDay(decisions: perDay)
                run.fit()
            }
            run.playDay(decisions: perDay)
            // Refitting the same logs costs the same each time (only the bootstrap draws differ).
            let fit = try median(5) { run.fit() }
            report("3b. one fit after 14 days of \(perDay)/day: \(policy.label)", fit)
        }
    }
    // The notebook's three experiments, whole, at 1×, 10× and 100× its decisions a day.
    let oracle = world.oracle().best
    for perDay in [100, 1_000, 10_000] {
        let schedule = Schedule(decisionsPerDay: perDay, days: 14, runs: 10)
        let time = try median(3) {
            var g = generator
            _ = Experiment.compare(world: world, policies: [.greedy, .epsilonGreedy(0.1), .thompson(30)],
                                   schedule: schedule, generator: &g, oracleValue: oracle)
        }
        report("3b. notebook compare, engine, all threads, \(perDay)/day", time, decisions: 3 * 10 * 14 * perDay)
    }
}

/// 4. The store alone: decision rows per second in daily transactions, checkpoint writes per second.
func storeAlone() throws {
    let days = 20, perDay = 100_000
    var generator = Generator(kind: .default, seed: 1)
    let world = try World.draw(features: 5, actions: 30, using: &generator)
    var run = Run(world: world, policy: .epsilonGreedy(0.1), generator: generator, oracleValue: 0)
    var played: [(DaySummary, [Decision], RunCheckpoint)] = []
    for _ in 0..<days {
        let summary = run.playDay(decisions: perDay)
        run.fit()
        played.append((summary, run.lastDay, run.checkpoint))
    }
    var directory = ""
    let rowTime = try median(3, setup: { directory = scratchDirectory() }) {
        let store = try Store(directory: directory)
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        var experiment = try store.createExperiment(name: "bench", seed: 1, generator: Generator(kind: .default, seed: 1))
        experiment.world = world
        try store.save(experiment)
        let record = try store.startRun(experimentID: experiment.id, jobID: nil, policy: run.policy, ordinal: 0,
                                        status: .running, checkpoint: played[0].2, world: world)
        for (summary, decisions, checkpoint) in played {
            try store.commitDay(run: record, summary: summary, decisions: decisions, checkpoint: checkpoint, world: world)
        }
    }
    report("4. store: \(days * perDay) decision rows, one transaction a day", rowTime, extra: String(format: "  %12.0f rows/s", Double(days * perDay) / rowTime))

    var tsRun = Run(world: world, policy: .thompson(30), generator: generator, oracleValue: 0)
    tsRun.playDay(decisions: 100)
    tsRun.fit()
    let checkpoint = tsRun.checkpoint
    let count = 2000
    directory = scratchDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let store = try Store(directory: directory)
    defer { store.close() }
    var experiment = try store.createExperiment(name: "bench", seed: 1, generator: Generator(kind: .default, seed: 1))
    experiment.world = world
    try store.save(experiment)
    let record = try store.startRun(experimentID: experiment.id, jobID: nil, policy: tsRun.policy, ordinal: 0,
                                    status: .live, checkpoint: checkpoint, world: world)
    let checkpointTime = try median(3) {
        for _ in 0..<count { try store.saveCheckpoint(run: record, checkpoint, world: world) }
    }
    report("4. store: checkpoint of a 30×30×5 ensemble (36,020 bytes)", checkpointTime / Double(count),
           extra: String(format: "  %12.0f checkpoints/s", Double(count) / checkpointTime))
}

/// The policies compared: the notebook's three and those beyond it; `BANDIT_BENCH_POLICIES=ts:30,ots:30`
/// picks some of them.
let policyLabels = ProcessInfo.processInfo.environment["BANDIT_BENCH_POLICIES"].map { $0.split(separator: ",").map(String.init) }
    ?? ["greedy", "eps:0.1", "ts:30", "ots:30", "linucb:1", "lints:0.1", "softmax:0.05", "epsdecay:5", "uniform"]

/// 6. Each policy alone in the engine (all threads), one uniform warm-up day, on the seed workload
/// (the notebook's world: 10 runs × 14 days × 100 decisions, 5 features, 30 posts) and the scale
/// workload (20 features, 200 posts, 2,000 decisions a day, 14 days, 3 runs). Times are noted for
/// `--peers`, which prints each peer library's time on the same workload as a ratio.
func policies() throws {
    var generator = Generator(kind: .numpy, seed: 17)
    let seed = try World.draw(features: 5, actions: 30, using: &generator)
    var bigGenerator = Generator(kind: .default, seed: 17)
    let big = try World.draw(features: 20, actions: 200, using: &bigGenerator)
    for (name, world, schedule, repeats) in [
        ("seed", seed, Schedule(decisionsPerDay: 100, days: 14, runs: 10, warmup: 1), 5),
        ("scale", big, Schedule(decisionsPerDay: 2000, days: 14, runs: 3, warmup: 1), 3),
    ] {
        let oracle = world.oracle().best
        for label in policyLabels {
            let policy = try Policy(label: label)
            let play = {
                var g = Generator(kind: .default, seed: 17)
                _ = Experiment.runSequences(world: world, policy: policy, schedule: schedule, generator: &g, oracleValue: oracle)
            }
            // A workload of more than 10 s is timed once: its noise is small beside it.
            let once = try median(1, play)
            let time = once > 10 ? once : try median(repeats, play)
            report("6. \(name): \(label)", time, decisions: schedule.runs * schedule.days * schedule.decisionsPerDay)
            notePolicyTime(workload: name, label: label, time)
        }
    }
}

/// Workload 6's times, for `--peers`.
func notePolicyTime(workload: String, label: String, _ time: Double) {
    guard let path = ProcessInfo.processInfo.environment["BANDIT_BENCH_POLICY_TIMES"],
          let handle = FileHandle(forWritingAtPath: path) else { return }
    handle.seekToEndOfFile()
    handle.write(Data("\(workload)\t\(label)\t\(time)\n".utf8))
    handle.closeFile()
}

/// The notebook's own code with python3 and numpy, timed as a whole (workload 1's computation).
func reference(_ path: String) -> Double? {
    // Its output is not ours to print; what it says on stderr is shown if it fails.
    let log = NSTemporaryDirectory() + "bandit-bench-reference-\(getpid()).log"
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: log) }
    let started = clock.now
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", path]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle(forWritingAtPath: log)
    do {
        try process.run()
    } catch {
        return nil
    }
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        let said = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        print(said.split(separator: "\n").suffix(5).map { "   python3: \($0)" }.joined(separator: "\n"))
        return nil
    }
    return seconds(clock.now - started)
}

/// 7. Off-policy evaluation: `evaluate ts:30` through the interpreter (each run's logs read from
/// SQLite, the logging policy replayed, the target fitted, the truth enumerated, the rows stored) on
/// the notebook's compare job and on a 1,000-run job; then the four estimators alone over 1,000 runs.
func evaluation() throws {
    for (command, runs, name) in [("compare greedy eps:0.1 ts:30 runs 10 days 14", 3 * 10, "the notebook's compare"),
                                  ("runs 1000 days 14", 1000, "eps:0.1, 1,000 runs × 14 days")] {
        let directory = scratchDirectory()
        let store = try Store(directory: directory)
        let interpreter = Interpreter(session: Session(workspace: Workspace(store: store), workingDirectory: directory))
        for line in ["new ope seed 17; world features 5 actions 30; policy eps:0.1", command] {
            for outcome in interpreter.run(line) where outcome.error != nil { throw CommandError.failed("\(line): \(outcome.error!)") }
        }
        let time = try median(runs > 100 ? 3 : 5) {
            for outcome in interpreter.run("evaluate ts:30 on 1") where outcome.error != nil {
                throw CommandError.failed("evaluate: \(outcome.error!)")
            }
        }
        store.close()
        try? FileManager.default.removeItem(atPath: directory)
        report("7. evaluate ts:30 on \(name) (\(runs) runs)", time, extra: String(format: "  %.2f ms per run", time * 1000 / Double(runs)))
    }
    // Real logs: a CSV of a million rows (10 days, 50 posts, 20 binary features) read, checked and stored.
    let directory = scratchDirectory()
    var csv = "day,action,reward,propensity," + (1...20).map { "x\($0)" }.joined(separator: ",") + "\n"
    var draws = Xoshiro256(seed: 11)
    for row in 0..<1_000_000 {
        csv += "\(row / 100_000 + 1),\(draws.nextInt(below: 50)),\(draws.nextDouble()),0.02"
        for _ in 0..<20 { csv += draws.nextInt(below: 2) == 1 ? ",1" : ",0" }
        csv += "\n"
    }
    try csv.write(toFile: directory + "/logs.csv", atomically: true, encoding: .utf8)
    var imports = 0
    let importTime = try median(3) {
        let store = try Store(directory: directory)
        defer { store.close() }
        let interpreter = Interpreter(session: Session(workspace: Workspace(store: store), workingDirectory: directory))
        imports += 1
        for outcome in interpreter.run("import logs logs.csv as logs\(imports)") where outcome.error != nil {
            throw CommandError.failed("import: \(outcome.error!)")
        }
    }
    try? FileManager.default.removeItem(atPath: directory)
    report("7. import logs: 1,000,000 rows × 20 features (\(csv.utf8.count / 1_000_000) MB)", importTime, decisions: 1_000_000)

    var rng = Xoshiro256(seed: 7)
    let logs = (0..<1000).map { _ in
        (0..<100).map { _ in
            EvaluatedDecision(propensity: 0.1 + 0.9 * rng.nextDouble(), reward: 2 + rng.nextNormal(), targetProbability: rng.nextDouble(),
                              direct: 2 + 0.1 * rng.nextNormal(), modelAtAction: 2, unsupported: 0)
        }
    }
    var sink = 0.0
    let normal = try median(5) { for log in logs { sink += OffPolicyReport(log).estimates[3].value } }
    report("7. IPS, SNIPS, DM, DR, normal intervals: 1,000 × 100 decisions", normal)
    let bootstrap = try median(3) {
        for log in logs { sink += OffPolicyReport(log, interval: .bootstrap(replicates: 1000, seed: 1)).estimates[3].lower }
    }
    report("7. the same, bootstrap intervals (1,000 resamples each)", bootstrap)
    if sink.isNaN { print(sink) }
}

/// 8. A sweep: the notebook's compare with 1,000 runs per policy, planned in shards played as local
/// processes (the release `bandit` beside this benchmark) and merged, against the same compare as
/// one job; both with every decision stored.
func sweep() throws {
    let compare = "compare greedy eps:0.1 ts:30 runs 1000 days 14"
    func session(_ directory: String) throws -> (Store, Interpreter) {
        let store = try Store(directory: directory)
        return (store, Interpreter(session: Session(workspace: Workspace(store: store), workingDirectory: directory)))
    }
    func must(_ interpreter: Interpreter, _ line: String) throws {
        for outcome in interpreter.run(line) where outcome.error != nil { throw CommandError.failed("\(line): \(outcome.error!)") }
    }
    let one = scratchDirectory()
    let (oneStore, oneInterpreter) = try session(one)
    try must(oneInterpreter, "new e seed 17; world features 5 actions 30")
    var start = clock.now
    try must(oneInterpreter, compare)
    let job = seconds(clock.now - start)
    oneStore.close()
    report("8. \(compare), one job", job, decisions: 3 * 1000 * 14 * 100)
    for shards in [2, 8] {
        let directory = scratchDirectory()
        let (store, interpreter) = try session(directory)
        try must(interpreter, "new e seed 17; world features 5 actions 30")
        start = clock.now
        try must(interpreter, "sweep plan \(compare) shards \(shards) into plan local")
        let played = seconds(clock.now - start)
        start = clock.now
        try must(interpreter, "sweep merge plan")
        let merged = seconds(clock.now - start)
        store.close()
        report("8. the same as \(shards) local shards, played + merged", played + merged, decisions: 3 * 1000 * 14 * 100,
               extra: String(format: "  %.2f× the job (merge %.1f s)", (played + merged) / job, merged))
        try? FileManager.default.removeItem(atPath: directory)
    }
    try? FileManager.default.removeItem(atPath: one)
}

let workloads: [String: () throws -> Void] = [
    "1-default": { try wholeProduct(kind: .default) },
    "1-numpy": { try wholeProduct(kind: .numpy) },
    "2-default-1": { try engineAlone(kind: .default, threads: 1) },
    "2-default-all": { try engineAlone(kind: .default, threads: Experiment.availableThreads) },
    "2-numpy-1": { try engineAlone(kind: .numpy, threads: 1) },
    "2-numpy-all": { try engineAlone(kind: .numpy, threads: Experiment.availableThreads) },
    "3": scale,
    "3b": growth,
    "4": storeAlone,
    "5": readLatency,
    "6": policies,
    "7": evaluation,
    "8": sweep,
    "9": groupCommit,
    "10": startUp,
    "11-decisions": { try bigSweep(keep: .decisions) },
    "11-summaries": { try bigSweep(keep: .summaries) },
]
let order = ["1-default", "1-numpy", "2-default-1", "2-default-all", "2-numpy-1", "2-numpy-all", "3", "3b", "4", "5", "6", "7", "8", "9",
             "10", "11-decisions", "11-summaries"]

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--workload", arguments.count == 2 {
    // A child: one workload, then its peak memory.
    do {
        try workloads[arguments[1]]!()
    } catch {
        FileHandle.standardError.write(Data("bandit-bench: \(error)\n".utf8))
        exit(1)
    }
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    print(String(format: "   peak memory %.1f MB", Double(usage.ru_maxrss) / 1024))
    fflush(nil)
    exit(0)
}
/// `--peers`: the peer libraries' times on workload 6's workloads, from `scripts/peers/peers.py` run
/// now (10 runs for the seed workload; a scale run longer than 20 s is timed once and tripled), each
/// as a ratio to bandit's time for the same policy in this run.
func comparePeers(policyTimes path: String) {
    let output = NSTemporaryDirectory() + "bandit-bench-peers-\(getpid()).json"
    defer { try? FileManager.default.removeItem(atPath: output) }
    print("peers: python3 scripts/peers/peers.py (MABWiser, Vowpal Wabbit), a few minutes...")
    fflush(nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "scripts/peers/peers.py", "--runs", "10", "--no-variants", "--scale-budget", "60",
                         "--out", output]
    process.standardOutput = FileHandle.nullDevice
    do {
        try process.run()
        process.waitUntilExit()
    } catch {
        print("peers: could not run python3: \(error)")
        return
    }
    guard process.terminationStatus == 0, let data = FileManager.default.contents(atPath: output),
          let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
          let policies = root["policies"] as? [String: [String: Any]],
          let timings = root["timings"] as? [String: [String: Double]] else {
        print("peers: not measured (pip install mabwiser==2.7.4 vowpalwabbit, then run from the repository root)")
        return
    }
    // Ours, as workload 6 noted them: workload → label → seconds.
    var ours: [String: [String: Double]] = [:]
    for line in ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n") {
        let fields = line.split(separator: "\t")
        if fields.count == 3, let time = Double(fields[2]) { ours[String(fields[0]), default: [:]][String(fields[1])] = time }
    }
    for workload in ["seed", "scale"] {
        for (name, time) in (timings[workload] ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let label = policies[name]?["ours"] as? String, let mine = ours[workload]?[label] else { continue }
            print("   peers, \(workload): \(name)".padding(toLength: 56, withPad: " ", startingAt: 0)
                  + String(format: time / mine < 10 ? "%9.2f s  %7.2f× the time of %@ (%.3f s)" : "%9.2f s  %7.0f× the time of %@ (%.3f s)",
                           time, time / mine, label, mine))
        }
    }
}

var referencePath: String?
if let index = arguments.firstIndex(of: "--reference"), index + 1 < arguments.count {
    referencePath = arguments[index + 1]
    arguments.removeSubrange(index...(index + 1))
}
let peers = arguments.contains("--peers")
arguments.removeAll { $0 == "--peers" }
var selected = arguments.isEmpty ? order : arguments
if peers && !selected.contains("6") { selected.append("6") }
print("bandit-bench: release build, \(ProcessInfo.processInfo.activeProcessorCount) cores; medians of several runs")
fflush(nil)
let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
let times = NSTemporaryDirectory() + "bandit-bench-times-\(getpid())"
_ = FileManager.default.createFile(atPath: times, contents: nil)
defer { try? FileManager.default.removeItem(atPath: times) }
let policyTimes = NSTemporaryDirectory() + "bandit-bench-policy-times-\(getpid())"
_ = FileManager.default.createFile(atPath: policyTimes, contents: nil)
defer { try? FileManager.default.removeItem(atPath: policyTimes) }
for name in selected {
    guard workloads[name] != nil else {
        print("unknown workload \(name); workloads: \(order.joined(separator: " "))")
        exit(2)
    }
    let child = Process()
    child.executableURL = URL(fileURLWithPath: me)
    child.arguments = ["--workload", name]
    child.environment = ProcessInfo.processInfo.environment.merging(
        ["BANDIT_BENCH_TIMES": times, "BANDIT_BENCH_POLICY_TIMES": policyTimes]) { $1 }
    try child.run()
    child.waitUntilExit()
}
if peers { comparePeers(policyTimes: policyTimes) }
if let path = referencePath {
    if let time = reference(path) {
        report("reference: the notebook's code, python3 + numpy (workload 1)", time)
        let noted = ((try? String(contentsOfFile: times, encoding: .utf8)) ?? "").split(separator: "\n")
        for line in noted {
            let fields = line.split(separator: "\t", maxSplits: 1)
            guard fields.count == 2, let seconds = Double(fields[0]), seconds > 0 else { continue }
            print("   \(fields[1]): ".padding(toLength: 66, withPad: " ", startingAt: 0)
                  + String(format: "%7.0f× the notebook's speed", time / seconds))
        }
        if noted.isEmpty { print("   (run workload 1 or 2 in the same command to see the ratios)") }
    } else {
        print("reference: could not run python3 \(path)")
    }
}
