// bandit: runs the notebook's experiment and prints its table (the REPL will take this place).

import BanditCore
import Foundation

struct Options {
    var kind = GeneratorKind.numpy
    var seed: UInt32 = 17
    var schedule = Schedule()
    var features = 5
    var actions = 30
    var threads = Experiment.availableThreads
}

let usage = """
    usage: bandit [--rng numpy|default] [--seed N] [--runs R] [--days D] [--decisions N]
                  [--features F] [--actions K] [--threads T]

    Runs the notebook's experiment: seed the generator, draw the world, then greedy, ε-greedy (0.1)
    and Thompson sampling (30 replicates), each over R runs of D days of N decisions, reseeding
    between policies as the notebook does. Prints each day's mean viewing time ± standard error and
    the asymptote (mean over days 5..D). Defaults: --rng numpy --seed 17 --runs 10 --days 14
    --decisions 100 --features 5 --actions 30.
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
        case "-h", "--help":
            print(usage)
            exit(0)
        default: fail("unknown option '\(flag)'")
        }
    }
    return options
}

let options = parse(Array(CommandLine.arguments.dropFirst()))
var generator = Generator(kind: options.kind, seed: options.seed)
let world: World
do {
    world = try World.draw(features: options.features, actions: options.actions, using: &generator)
} catch {
    fail("\(error)")
}
let oracle = world.oracle()
let schedule = options.schedule
print("""
    world: \(world.features) features, \(world.actions) posts, noise \(world.noise); rng \(options.kind.rawValue), seed \(options.seed)
    expected viewing time: best post \(String(format: "%.4f", oracle.best))\(oracle.exact ? "" : " (estimated)"), \
    random post \(String(format: "%.4f", oracle.uniform))
    protocol: \(schedule.runs) runs × \(schedule.days) days × \(schedule.decisionsPerDay) decisions
    """)

let policies: [Policy] = [.greedy, .epsilonGreedy(0.1), .thompson(30)]
var curves: [Curve] = []
let clock = ContinuousClock()
for (index, policy) in policies.enumerated() {
    // The notebook reseeds before each policy after the first.
    if index > 0 { generator = Generator(kind: options.kind, seed: options.seed) }
    let started = clock.now
    curves.append(Experiment.runSequences(world: world, policy: policy, schedule: schedule, generator: &generator,
                                          oracleValue: oracle.best, threads: options.threads))
    let elapsed = clock.now - started
    FileHandle.standardError.write(Data("\(policy.label): \(elapsed.formatted(.units(allowed: [.milliseconds])))\n".utf8))
}

func cell(_ curve: Curve, _ day: Int) -> String {
    String(format: "%.4f ± %.4f", curve.mean[day], curve.standardError[day])
}
let width = 17
var header = "day".padding(toLength: 5, withPad: " ", startingAt: 0)
for curve in curves { header += "  " + curve.label.padding(toLength: width, withPad: " ", startingAt: 0) }
print("\n" + header)
for day in 0..<schedule.days {
    var line = "\(day + 1)".padding(toLength: 5, withPad: " ", startingAt: 0)
    for curve in curves { line += "  " + cell(curve, day).padding(toLength: width, withPad: " ", startingAt: 0) }
    print(line)
}
var footer = "asymptote (days \(Curve.asymptoteFirstDay)..\(schedule.days)):"
for curve in curves {
    footer += "  \(curve.label) " + (curve.asymptote.map { String(format: "%.4f", $0) } ?? "n/a")
}
print(footer)
