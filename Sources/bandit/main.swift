// bandit: runs the notebook's experiment and prints its table (the REPL will take this place).

import BanditCore
import BanditJobs
import BanditStore
import Foundation

struct Options {
    var kind = GeneratorKind.numpy
    var seed: UInt32 = 17
    var schedule = Schedule()
    var features = 5
    var actions = 30
    var threads = Experiment.availableThreads
    /// Batch mode: a state directory, the experiment's name and the policies to compare.
    var state: String?
    var name = "batch"
    var policies: [Policy] = [.greedy, .epsilonGreedy(0.1), .thompson(30)]
}

let usage = """
    usage: bandit [--rng numpy|default] [--seed N] [--runs R] [--days D] [--decisions N]
                  [--features F] [--actions K] [--threads T]
                  [--state DIR [--name NAME] [--policies P,P,...]]

    Runs the notebook's experiment: seed the generator, draw the world, then greedy, ε-greedy (0.1)
    and Thompson sampling (30 replicates), each over R runs of D days of N decisions, reseeding
    between policies as the notebook does. Prints each day's mean viewing time ± standard error and
    the asymptote (mean over days 5..D). Defaults: --rng numpy --seed 17 --runs 10 --days 14
    --decisions 100 --features 5 --actions 30.

    With --state DIR the work is kept in DIR/bandit.db: the experiment NAME (default "batch") is
    created with its world, and the policies (default greedy,eps:0.1,ts:30) are compared from the
    same generator state, every day committed as it completes. Running the same command again after
    an interruption (crash, kill, power loss) continues where it stopped and ends with exactly the
    numbers an uninterrupted run gives; once finished, it prints the stored result.
    """

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("bandit: \(message)\n\(usage)\n".utf8))
    exit(2)
}

func parse(_ arguments: [String]) -> Options {
    var options = Options()
    var rest = arguments[...]
    func value(_ flag: String) -> String {
        guard let next = rest.popFirst() else { fail("\(flag) needs a value") }
        return next
    }
    func integer(_ flag: String, _ range: ClosedRange<Int>) -> Int {
        let text = value(flag)
        guard let n = Int(text), range.contains(n) else { fail("\(flag) must be an integer in \(range), not '\(text)'") }
        return n
    }
    while let flag = rest.popFirst() {
        switch flag {
        case "--rng":
            let text = value(flag)
            guard let kind = GeneratorKind(rawValue: text) else { fail("--rng must be numpy or default, not '\(text)'") }
            options.kind = kind
        case "--seed": options.seed = UInt32(integer(flag, 0...Int(UInt32.max)))
        case "--runs": options.schedule.runs = integer(flag, 1...1_000_000)
        case "--days": options.schedule.days = integer(flag, 1...100_000)
        case "--decisions": options.schedule.decisionsPerDay = integer(flag, 1...100_000_000)
        case "--features": options.features = integer(flag, 1...World.maximumFeatures)
        case "--actions": options.actions = integer(flag, 1...100_000)
        case "--threads": options.threads = integer(flag, 1...1024)
        case "--state": options.state = value(flag)
        case "--name":
            options.name = value(flag)
            guard !options.name.isEmpty else { fail("--name must not be empty") }
        case "--policies":
            do {
                options.policies = try value(flag).split(separator: ",").map { try Policy(label: String($0)) }
            } catch {
                fail("\(error)")
            }
            guard !options.policies.isEmpty else { fail("--policies needs at least one policy") }
        case "-h", "--help":
            print(usage)
            exit(0)
        default: fail("unknown option '\(flag)'")
        }
    }
    return options
}

func printTable(_ curves: [Curve], days: Int) {
    let width = 17
    var header = "day".padding(toLength: 5, withPad: " ", startingAt: 0)
    for curve in curves { header += "  " + curve.label.padding(toLength: width, withPad: " ", startingAt: 0) }
    print("\n" + header)
    for day in 0..<days {
        var line = "\(day + 1)".padding(toLength: 5, withPad: " ", startingAt: 0)
        for curve in curves {
            let cell = String(format: "%.4f ± %.4f", curve.mean[day], curve.standardError[day])
            line += "  " + cell.padding(toLength: width, withPad: " ", startingAt: 0)
        }
        print(line)
    }
    var footer = "asymptote (days \(Curve.asymptoteFirstDay)..\(days)):"
    for curve in curves {
        footer += "  \(curve.label) " + (curve.asymptote.map { String(format: "%.4f", $0) } ?? "n/a")
    }
    print(footer)
}

func describe(_ world: World, kind: GeneratorKind, seed: UInt32, schedule: Schedule) {
    let oracle = world.oracle()
    print("""
        world: \(world.features) features, \(world.actions) posts, noise \(world.noise); rng \(kind.rawValue), seed \(seed)
        expected viewing time: best post \(String(format: "%.4f", oracle.best))\(oracle.exact ? "" : " (estimated)"), \
        random post \(String(format: "%.4f", oracle.uniform))
        protocol: \(schedule.runs) runs × \(schedule.days) days × \(schedule.decisionsPerDay) decisions
        """)
}

func note(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

/// The notebook's experiment in memory, reseeding between policies as the notebook does.
func runNotebook(_ options: Options) {
    var generator = Generator(kind: options.kind, seed: options.seed)
    let world: World
    do {
        world = try World.draw(features: options.features, actions: options.actions, using: &generator)
    } catch {
        fail("\(error)")
    }
    describe(world, kind: options.kind, seed: options.seed, schedule: options.schedule)
    var curves: [Curve] = []
    let clock = ContinuousClock()
    for (index, policy) in [Policy.greedy, .epsilonGreedy(0.1), .thompson(30)].enumerated() {
        if index > 0 { generator = Generator(kind: options.kind, seed: options.seed) }
        let started = clock.now
        curves.append(Experiment.runSequences(world: world, policy: policy, schedule: options.schedule,
                                              generator: &generator, oracleValue: world.oracle().best,
                                              threads: options.threads))
        note("\(policy.label): \((clock.now - started).formatted(.units(allowed: [.milliseconds])))")
    }
    printTable(curves, days: options.schedule.days)
}

/// Batch mode: a comparison kept in a store, continued after any interruption.
func runBatch(_ options: Options, directory: String) throws {
    let store = try Store(directory: directory)
    defer { store.close() }
    let executor = JobExecutor(store: store, threads: options.threads)
    let showProgress = isatty(STDERR_FILENO) == 1
    let progress: @Sendable (Int, Int) -> Void = { done, total in
        if showProgress { note("\u{1b}[1A\u{1b}[2K  \(done)/\(total) days") }
    }
    for job in try store.jobs() where job.state == .interrupted {
        note("resuming job \(job.id): \(job.command) (\(job.daysDone)/\(job.daysTotal) days done)")
        if showProgress { note("") }
        _ = try executor.execute(jobID: job.id, progress: progress)
    }
    var experiment = try store.experiment(named: options.name)
        ?? store.createExperiment(name: options.name, kind: options.kind, seed: options.seed)
    if experiment.world == nil {
        experiment.world = try World.draw(features: options.features, actions: options.actions, using: &experiment.generator)
        try store.save(experiment)
    }
    guard let world = experiment.world else { return }
    let schedule = options.schedule
    describe(world, kind: experiment.kind, seed: experiment.seed, schedule: schedule)
    let command = "compare \(options.policies.map(\.label).joined(separator: " ")) runs \(schedule.runs) days \(schedule.days)"
        + " decisions \(schedule.decisionsPerDay)"
    let job = try store.jobs(experimentID: experiment.id).last { $0.command == command && $0.state == .finished }
    if job == nil {
        let created = try executor.create(experiment: experiment, command: command, policies: options.policies, schedule: schedule)
        note("job \(created.id): \(command)")
        if showProgress { note("") }
        _ = try executor.execute(jobID: created.id, progress: progress)
    }
    let labels = Set(options.policies.map(\.label))
    let curves = try store.results(experimentID: experiment.id).map(\.curve).filter { labels.contains($0.label) }
    printTable(curves, days: schedule.days)
}

let options = parse(Array(CommandLine.arguments.dropFirst()))
if let directory = options.state {
    do {
        try runBatch(options, directory: directory)
    } catch {
        note("bandit: \(error)")
        exit(1)
    }
} else {
    runNotebook(options)
}
