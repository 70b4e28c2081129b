// The language: lookup, argument checks, refusals that change nothing, completion, help, live runs.

@testable import BanditCommands
import BanditCore
import BanditStore
import Foundation
import BanditTestSupport
import Testing

@Suite("Commands")
struct CommandTests {
    @Test("names are unique and prefixes resolve; ambiguity lists the candidates")
    func lookup() throws {
        let names = Command.table.flatMap { [$0.name] + $0.aliases }
        #expect(Set(names).count == names.count)
        #expect(try Command.resolve("comp").name == "compare")
        #expect(try Command.resolve("EXIT").name == "quit")
        #expect(throws: CommandError.ambiguousCommand("st", ["stats", "step"])) { try Command.resolve("st") }
        #expect(CommandError.ambiguousCommand("st", ["stats", "step"]).description == "ambiguous command: st, could be: stats, step")
        #expect(throws: CommandError.unknownCommand("frob")) { try Command.resolve("frob") }
    }

    @Test("lines: quotes, comments, separators, background marks")
    func lines() throws {
        #expect(try parseLine("new a; world  # draw") == [
            ParsedCommand(words: ["new", "a"], background: false), ParsedCommand(words: ["world"], background: false),
        ])
        #expect(try parseLine("export curves 'my file.csv'") == [ParsedCommand(words: ["export", "curves", "my file.csv"], background: false)])
        #expect(try parseLine("runs 40 &") == [ParsedCommand(words: ["runs", "40"], background: true)])
        // `&` ends a command as in a shell, with or without spaces; quoted, it is a character.
        #expect(try parseLine("runs 40& stats;use 'a&b'") == [
            ParsedCommand(words: ["runs", "40"], background: true), ParsedCommand(words: ["stats"], background: false),
            ParsedCommand(words: ["use", "a&b"], background: false),
        ])
        #expect(throws: CommandError.usage("nothing before '&' to run in the background")) { try parseLine("runs 40 && stats") }
        // Each command as a line of its own parses back to the same command.
        for line in ["export curves 'my file.csv'", "use \"it's\"", "plot 'a;b#c&d.svg' &", "runs 40 days 2"] {
            let commands = try parseLine(line)
            #expect(try commands.map { try parseLine(try #require($0.line)) }.joined().elementsEqual(commands), "\(line)")
        }
        #expect(ParsedCommand(words: ["a'b\"c"], background: false).line == nil)
        #expect(try parseLine("   # only a comment").isEmpty)
        #expect(throws: CommandError.self) { try parseLine("export curves 'unterminated") }
    }

    /// Every bad input: a one-line error, and the stored state exactly as before.
    @Test("bad input is refused with one line and changes nothing")
    func refusals() throws {
        let session = try makeSession()
        defer { session.workspace.store.close() }
        #expect(session.refused("world").contains("no current experiment"))
        session.must("new e rng numpy seed 3")
        #expect(session.refused("day").contains("has no world yet"))
        session.must("world features 3 actions 4; policy eps 0.2; step 2")
        let before = try session.fingerprint()
        let cases: [(String, String)] = [
            ("frobnicate", "unknown command: frobnicate"),
            ("st", "ambiguous command: st, could be: stats, step"),
            ("world features 0", "features must be an integer from 1 to 64, not '0'"),
            ("world features 65", "features must be an integer from 1 to 64"),
            ("world actions 0", "actions must be an integer from 1 to 100000, not '0'"),
            ("world noise -1", "noise must be a number from 0 to 100"),
            ("world features", "features needs a value"),
            ("world features 3 features 4", "features given twice"),
            ("policy eps 1.5", "epsilon must be a number between 0 and 1, not '1.5'"),
            ("policy eps -0.1", "epsilon must be a number between 0 and 1"),
            ("policy eps", "eps needs a value"),
            ("policy ts 0", "bootstrap replicates must be an integer between 1"),
            ("policy ts x", "bootstrap replicates must be an integer"),
            ("policy softmax", "softmax needs a value: softmax T, with the temperature T > 0"),
            ("policy bogus", "unknown policy 'bogus'"),
            ("policy lints 0", "the posterior scale v of lints:v must be a number ≥ 1e-06"),
            ("policy", "missing POLICY"),
            ("day -1", "N must be an integer from 1 to 1000000, not '-1'"),
            ("day two", "N must be an integer"),
            ("step 1 2", "unexpected '2'"),
            ("runs 0", "R must be an integer from 1"),
            ("runs 5 days -3", "days must be an integer from 1"),
            ("set runs -2", "runs must be an integer from 1"),
            ("set speed 3", "unexpected 'speed'; usage: set [decisions N] [days D] [runs R]"),
            ("set", "name a setting to change; usage: set [decisions N] [days D] [runs R]"),
            ("seed -1", "N must be an integer from 0 to 4294967295"),
            ("seed 4294967296", "N must be an integer from 0 to 4294967295"),
            ("new e", "an experiment named 'e' already exists"),
            ("new e replaced", "expected 'replace' here, not 'replaced'"),
            ("new 'bad name'", "NAME must be 1 to 64 letters"),
            ("use nothere", "no experiment named 'nothere'"),
            ("drop nothere", "no experiment named 'nothere'"),
            ("betas 9", "ACTION must be from 0 to 3"),
            ("compare", "missing POLICY"),
            ("compare greedy runs x", "runs must be an integer"),
            ("compare greedy eps:0.1 greedy", "greedy is named twice: each policy's curve is stored under its label"),
            ("compare ts:30 eps 0.1 ts 30", "ts:30 is named twice"),
            ("resume 99", "no job 99 in experiment e"),
            ("resume", "no interrupted or cancelled job to resume"),
            ("export", "missing WHAT"),
            ("export curves", "missing FILE"),
            ("export tables x.csv", "WHAT must be one of curves, days, decisions"),
            ("plot curves.png", "FILE must end in .svg, not 'curves.png'"),
            ("plot x.svg ts:30", "no stored result for ts:30"),
            ("help frob", "unknown command: frob"),
            ("history", "history is the REPL's: type it at the bandit> prompt"),
            ("export curves 'unterminated", "unterminated quote"),
        ]
        for (line, expected) in cases {
            let error = session.refused(line)
            #expect(error.contains(expected), "\(line): got '\(error)'")
            #expect(!error.contains("\n"), "\(line): more than one line")
            #expect(try session.fingerprint() == before, "\(line) changed the state")
        }
    }

    @Test("the live run: day, fit, step, reset, policy; betas, log, stats, export decisions")
    func liveRun() throws {
        let session = try makeSession()
        defer { session.workspace.store.close() }
        session.must("new live rng numpy seed 17; world features 5 actions 30; policy ts 5")
        let day = session.must("day 2")
        #expect(day.components(separatedBy: "\n").count == 2 && day.hasPrefix("day 1: mean viewing time"))
        #expect(session.must("fit").contains("fitted ts:5 on 200 decisions of 2 days (fit 1)"))
        #expect(session.must("step").hasPrefix("day 3:"))
        #expect(session.must("betas 2").contains("ensemble of 5: mean ± spread after 2 fits"))
        let log = session.must("log 3")
        #expect(log.components(separatedBy: "\n").count == 4 && log.contains("propensity"))
        #expect(session.must("stats").contains("live run: ts:5, 3 days, 300 decisions, 2 fits"))
        // The client writes the file, where its user is: the daemon only makes it.
        let file = try session.file("export decisions d.csv")
        #expect(file.summary == "300 rows")
        let csv = file.contents
        #expect(csv.hasPrefix("day,decision,x0,x1,x2,x3,x4,action,propensity,viewing_time\n1,0,1,"))
        #expect(csv.split(separator: "\n").count == 301)
        // A policy change retires the live run; the next day starts afresh.
        session.must("policy greedy")
        #expect(session.must("stats").contains("live run: none yet (policy greedy)"))
        #expect(session.must("day").hasPrefix("day 1:"))
        session.must("reset")
        #expect(session.refused("fit").contains("no live run yet"))
    }

    @Test("stats of a long live run: its last days one by one, older ones in bins from the day rows; export days has all")
    func longLiveRunStats() throws {
        let session = try makeSession()
        defer { session.workspace.store.close() }
        session.must("new long rng default seed 3; world features 3 actions 4; set decisions 7; step 250")
        let stats = session.must("stats")
        #expect(stats.contains("live run: greedy, 250 days, 1750 decisions, 250 fits"))
        #expect(stats.contains("days 1–230 in bins of 12 (per decision); 'export days FILE' writes every day"))
        let rows = try session.file("export days days.csv").contents.split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        #expect(rows.count == 250)
        let means = rows.map { Double(String($0[2]))! }, regrets = rows.map { Double(String($0[3]))! }
        // Every one of the last 20 days is listed; the bins are per-decision means of their days.
        let table = stats.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        func row(_ label: String) -> [String]? { table.first { $0.first == label } }
        for day in 231...250 {
            #expect(row("\(day)") == ["\(day)", "7", formatNumber(means[day - 1]), formatNumber(regrets[day - 1])], "day \(day)")
        }
        #expect(row("230") == nil)
        for first in stride(from: 1, through: 229, by: 12) {
            let last = min(first + 11, 230), days = (first - 1)..<last
            let mean = days.map { means[$0] * 7 }.reduce(0, +) / Double(7 * days.count)
            let regret = days.map { regrets[$0] * 7 }.reduce(0, +) / Double(7 * days.count)
            #expect(row("\(first)–\(last)") == ["\(first)–\(last)", "\(7 * days.count)", formatNumber(mean), formatNumber(regret)])
        }
        #expect(stats.split(separator: "\n").count < 60)
        // Picks per post sum to every decision of the run.
        let picks = try #require(stats.split(separator: "\n").first { $0.hasPrefix("picks per post: ") })
        #expect(picks.dropFirst(16).split(separator: " ").map { Int($0.split(separator: ":")[1])! }.reduce(0, +) == 1750)
    }

    /// The live run shares the experiment's stream, as the notebook's global generator: playing it
    /// through commands equals playing a Run in memory from the same seed.
    @Test("live commands follow the notebook's stream bit for bit")
    func liveMatchesEngine() throws {
        let session = try makeSession()
        defer { session.workspace.store.close() }
        session.must("new n rng numpy seed 17; world features 5 actions 30; policy eps 0.1; step 3; day")
        var generator = Generator(kind: .numpy, seed: 17)
        let world = try World.draw(features: 5, actions: 30, using: &generator)
        var run = Run(world: world, policy: .epsilonGreedy(0.1), generator: generator, oracleValue: world.oracle().best)
        for _ in 0..<3 {
            run.playDay(decisions: 100)
            run.fit()
        }
        run.playDay(decisions: 100)
        let stats = session.must("stats")
        for day in run.days { #expect(stats.contains(formatNumber(day.meanViewingTime))) }
        let stored = try #require(try session.workspace.store.experiment(named: "n"))
        #expect(stored.generator == run.generator)
    }

    @Test("stats compares policies on the final day: difference, its SE, and whether it is noise")
    func finalDayDifference() throws {
        let a = Curve(label: "greedy", runs: 10, mean: [1, 1.5], standardError: [0.1, 0.3])
        let b = Curve(label: "ts:30", runs: 10, mean: [1, 2.6], standardError: [0.1, 0.4])
        let c = Curve(label: "eps:0.1", runs: 10, mean: [1, 2.0], standardError: [0.1, 0.4])
        let table = Reports.finalDayDifferences([a, b, c]).rendered()
        // 2.6 − 1.5 = 1.1 with SE √(0.09 + 0.16) = 0.5: 2.2 SE, beyond noise.
        #expect(table.contains("ts:30 − greedy      2      1.1000  0.5000  ts:30 better (2.2 SE)"), "\(table)")
        // 2.0 − 1.5 = 0.5 with SE 0.5: 1.0 SE, within noise.
        #expect(table.contains("eps:0.1 − greedy    2      0.5000  0.5000  within noise (1.0 SE)"), "\(table)")
        #expect(table.contains("eps:0.1 − ts:30"))
    }

    @Test("completion: commands, keywords, choices, policies, experiments, paths")
    func completion() throws {
        let names = { ["alpha", "beta"] }
        #expect(Command.complete("st", experiments: names).candidates == ["stats", "step"])
        #expect(Command.complete("", experiments: names).candidates.contains("compare"))
        #expect(Command.complete("use ", experiments: names).candidates == ["alpha", "beta"])
        #expect(Command.complete("use a", experiments: names).candidates == ["alpha"])
        #expect(Command.complete("new x ", experiments: names).candidates == ["replace", "rng", "seed"])
        #expect(Command.complete("new x rng ", experiments: names).candidates == ["default", "numpy"])
        #expect(Command.complete("policy ", experiments: names).candidates == [
            "eps", "eps:0.1", "epsdecay", "epsdecay:5", "greedy", "lints", "lints:0.1", "linucb", "linucb:1", "ots", "ots:30",
            "softmax", "softmax:0.05", "ts", "ts:30", "uniform",
        ])
        #expect(Command.complete("set d", experiments: names).candidates == ["days", "decisions"])
        #expect(Command.complete("export curves ", experiments: names).files)
        #expect(Command.complete("world features 5 ", experiments: names).candidates == ["actions", "noise"])
        #expect(Command.complete("help com", experiments: names).candidates == ["compare"])
    }

    @Test("help lists every command; help COMMAND shows usage, details, examples")
    func help() throws {
        let session = try makeSession()
        defer { session.workspace.store.close() }
        let overview = session.must("help")
        for command in Command.table { #expect(overview.contains(command.synopsis), "\(command.name)") }
        let compare = session.must("help comp")
        #expect(compare.hasPrefix("usage: compare POLICY... [runs R] [days D] [&]"))
        #expect(compare.contains("examples:\n  compare greedy eps:0.1 ts:30 runs 10"))
    }
}

@Suite("Live-run jobs")
struct LiveJobTests {
    /// Stops after `days` polls: a `step` asks once per day.
    final class StopAfter: @unchecked Sendable {
        private var remaining: Int
        private let lock = NSLock()
        init(_ days: Int) { remaining = days }
        func callAsFunction() -> Bool { lock.withLock { remaining -= 1; return remaining < 0 } }
    }

    @Test("step N is a job: stopped at a day boundary and resumed, it ends as an uninterrupted step")
    func stopAndResume() throws {
        let reference = try makeSession(), session = try makeSession()
        defer {
            reference.workspace.store.close()
            session.workspace.store.close()
        }
        let setup = "new s rng numpy seed 9; world features 4 actions 7; policy ts 4"
        reference.must("\(setup); step 10")
        session.must(setup)
        let stop = StopAfter(4)
        let stopped = Interpreter(session: session).run("step 10", shouldStop: { stop() })
        #expect(stopped.last?.reply.plainText.contains("job 1 stopped after 4 of 10 days") == true)
        #expect(session.must("jobs").contains("4/10 days  cancelled"))
        session.must("resume 1")
        #expect(session.must("jobs").contains("10/10 days  finished (resumed 1×)"))
        let a = try #require(try reference.workspace.store.experiment(named: "s"))
        let b = try #require(try session.workspace.store.experiment(named: "s"))
        #expect(a.generator == b.generator)
        #expect(reference.must("stats") == session.must("stats"))
    }

    @Test("step N & runs in the background; the live run cannot change under it; cancel stops it")
    func background() throws {
        let session = try makeSession()
        defer { session.workspace.store.close() }
        session.must("new b rng default seed 1; world; policy greedy")
        let started = session.must("step 1000000 &")
        #expect(started.hasPrefix("job 1 started in the background: step 1000000"), "\(started)")
        let registry = session.workspace.registry
        for _ in 0..<500 where (registry.running.first?.done ?? 0) < 2 { usleep(10_000) }
        #expect(session.must("jobs").contains("running in the background"))
        for line in ["policy eps 0.1", "reset", "world", "seed 3", "fit"] {
            #expect(session.refused(line) == "job 1 is playing b: 'wait 1' or 'cancel 1' first", "\(line)")
        }
        #expect(session.must("cancel 1").contains("stops at the next day boundary"))
        registry.waitForBackground()
        #expect(session.must("jobs").contains("cancelled"))
        #expect(session.must("resume 1 &").hasPrefix("job 1 resumed in the background: step 1000000"))
        #expect(session.must("cancel 1").contains("stops at the next day boundary"))
        registry.waitForBackground()
        // Replacing the live run ends its unfinished jobs: nothing is left for them to play.
        session.must("policy eps 0.1")
        #expect(session.must("jobs").contains("failed"))
        #expect(session.refused("resume 1").contains("job 1 is failed: nothing to resume"))
    }
}

@Suite("Jobs and the experiment's generator")
struct JobGeneratorTests {
    @Test("while a job plays an experiment its writes are refused, nothing changed; other experiments go ahead")
    func writesRefusedDuringJob() throws {
        let session = try makeSession()
        defer { session.workspace.store.close() }
        session.must("new other rng default seed 5; new g rng numpy seed 1; world features 3 actions 4")
        let before = try #require(try session.workspace.store.experiment(named: "g"))
        // A million days: still playing whatever the machine's speed, until cancelled.
        session.must("runs 1000 days 1000 &")
        let refusal = "job 1 is playing g: 'wait 1' or 'cancel 1' first"
        for line in ["seed 99", "set runs 3", "policy ts 3", "world", "reset", "fit", "day", "step 2", "runs 2 days 2",
                     "compare greedy ts:2", "resume 1", "drop g", "new g replace"] {
            #expect(session.refused(line) == refusal, "\(line)")
        }
        #expect(try session.workspace.store.experiment(named: "g") == before)
        // Another experiment is not held up.
        session.must("use other; world features 3 actions 4; step 2; use g")
        #expect(session.must("cancel 1").contains("stops at the next day boundary"))
        session.workspace.registry.waitForBackground()
        #expect(session.must("jobs").contains("cancelled"))
        session.must("seed 99")
        let experiment = try #require(try session.workspace.store.experiment(named: "g"))
        #expect(experiment.generator == Generator(kind: .numpy, seed: 99))
        // Without interference, a job moves the generator on.
        session.must("runs 2 days 2")
        #expect(try session.workspace.store.experiment(named: "g")?.generator != Generator(kind: .numpy, seed: 99))
    }

    @Test("new NAME replace starts an experiment over; without replace a name in use is refused with the way out")
    func newReplace() throws {
        let session = try makeSession()
        defer { session.workspace.store.close() }
        session.must("new e rng numpy seed 3; world features 3 actions 4; runs 2 days 2; new other; world")
        let other = try session.fingerprint().filter { $0.hasPrefix("other|") }
        #expect(session.refused("new e") == "an experiment named 'e' already exists: 'use e' works on it, 'new e replace' starts it over")
        let replacing = session.must("new e replace seed 4")
        #expect(replacing.hasPrefix("dropped e: 400 decisions, "), "\(replacing)")
        #expect(replacing.hasSuffix(" freed\nreplaced experiment e: generator default, seed 4; draw its world with 'world'"), "\(replacing)")
        let replaced = try #require(try session.workspace.store.experiment(named: "e"))
        #expect(replaced.world == nil && replaced.generator == Generator(kind: .default, seed: 4))
        #expect(try session.workspace.store.results(experimentID: replaced.id).isEmpty)
        #expect(session.current == "e")
        #expect(try session.fingerprint().filter { $0.hasPrefix("other|") } == other)
        // A name not in use: replace just creates it.
        #expect(session.must("new fresh replace").hasPrefix("experiment fresh:"))
    }

    @Test("plot: runs × days in the title when all curves share them, in each legend when they do not")
    func plotSizes() throws {
        let session = try makeSession()
        defer { session.workspace.store.close() }
        session.must("new e; world features 3 actions 4; compare greedy eps:0.1 runs 2 days 3")
        func request() throws -> PlotRequest {
            guard case .plot(let request)? = Interpreter(session: session).run("plot").last?.reply else { throw FileMissing(description: "no plot") }
            return request
        }
        var plot = try request()
        #expect(plot.title == "experiment e: d=3, K=4, 2 runs × 3 days" && Set(plot.series.map(\.label)) == ["greedy", "eps:0.1"])
        session.must("runs 5 days 3")
        plot = try request()
        #expect(plot.title == "experiment e: d=3, K=4")
        #expect(Set(plot.series.map(\.label)) == ["greedy, 5 runs × 3 days", "eps:0.1, 2 runs × 3 days"])
    }

    @Test("stats with many posts folds the picks line: the most picked, how many were picked")
    func manyPosts() {
        let picks = (0..<100_000).map { $0 % 1000 == 7 ? $0 / 1000 + 1 : 0 }
        let line = StatsCommand.picksLine(picks)
        #expect(line.hasPrefix("picks per post, the most picked of 100000 (100 picked at least once; 'export decisions FILE' has every decision): 99007:100 98007:99 "))
        #expect(line.split(separator: " ").count < 100)
        #expect(StatsCommand.picksLine([3, 0, 1]) == "picks per post: 0:3 1:0 2:1")
    }

    @Test("completion offers job ids: running ones after wait and cancel, stopped ones after resume")
    func jobCompletion() throws {
        let session = try makeSession()
        defer { session.workspace.store.close() }
        session.must("new e rng default seed 1; world features 3 actions 4; runs 2 days 2; runs 1000 days 1000 &")
        session.must("cancel 2")
        session.workspace.registry.waitForBackground()
        session.must("runs 1000 days 1000 &")
        defer {
            _ = session.workspace.registry.cancel(jobID: 3)
            session.workspace.registry.waitForBackground()
        }
        let source = CompletionSource.workspace(session.workspace, current: session.current)
        #expect(Command.complete("resume ", source: source).candidates == ["2"])
        #expect(Command.complete("cancel ", source: source).candidates == ["3"])
        #expect(Command.complete("wait ", source: source).candidates == ["3"])
        #expect(Command.complete("resume ", source: .workspace(session.workspace, current: nil)).candidates.isEmpty)
        #expect(session.refused("cancel 0").contains("J must be a job id from 1 to 2147483647, not '0'"))
    }
}

