// evaluate: against numpy on the same exported logs, over a job's runs, stored, and refused cleanly.

@testable import BanditCommands
import BanditCore
import BanditStore
import BanditTestSupport
import Foundation
import Testing

@Suite("evaluate")
struct EvaluateCommandTests {
    static let targets = "greedy eps:0.1 uniform softmax:0.05 epsdecay:2"

    @Test("on a live run, every estimate, interval, weight figure and support share is what numpy computes from the exported logs",
          arguments: [("greedy", 11, "greedy"), ("eps", 12, "eps:0.2")])
    func againstReference(log: String, seed: Int, policy: String) throws {
        let session = try makeSession()
        defer { session.workspace.store.close() }
        session.must("new \(log) seed \(seed); world; set warmup 1; policy \(policy); step 5")
        // The logs the reference read (scripts/fixtures/evaluation.py) are this run's, byte for byte.
        #expect(try session.file("export decisions logs.csv").contents == Fixture.text("evaluation-\(log)", extension: "csv"))
        let root = try #require(try Fixture.json("evaluation") as? [String: Any])
        let cases = (root["cases"] as! [[String: Any]]).filter { $0["log"] as? String == log }
        #expect(cases.count == 10)
        let close = { (x: Double, y: Any?) in
            let y = (y as! NSNumber).doubleValue
            return abs(x - y) <= 1e-12 * max(1, abs(y))
        }
        for train in [3, 4] {
            session.must("evaluate \(Self.targets) train \(train)")
            let experiment = try #require(try session.workspace.store.experiment(named: log))
            let evaluation = try #require(try session.workspace.store.latestEvaluation(experimentID: experiment.id))
            #expect(evaluation.train == train && evaluation.rows.count == 20)
            for reference in cases where reference["train"] as? Int == train {
                let target = reference["target"] as! String
                let rows = evaluation.rows.filter { $0.target.label == target }
                #expect(rows.count == 4, "\(target)")
                for row in rows {
                    let name = "\(log) train \(train) \(target) \(row.estimate.estimator)"
                    let expected = reference[row.estimate.estimator.rawValue] as! [String: Any]
                    let e = row.estimate
                    #expect(close(e.value, expected["value"]) && close(e.standardError, expected["se"])
                            && close(e.lower, expected["lower"]) && close(e.upper, expected["upper"]), "\(name): \(e) against \(expected)")
                    let unsupported = try #require(row.unsupported)
                    #expect(close(row.effectiveSampleSize, reference["ess"]) && close(row.largestWeight, reference["max_weight"])
                            && close(unsupported, reference["unsupported"]), "\(name)")
                    #expect(row.decisions == reference["decisions"] as? Int)
                    let supported = (reference["unsupported"] as! NSNumber).doubleValue == 0
                    #expect(row.usable == (supported || row.estimate.estimator == .dm), "\(name)")
                    // The truth is the world's: exact with 4 random features.
                    #expect(row.truth?.exact == true)
                }
            }
        }
    }

    @Test("over a job's runs: a summary per logging policy, target and estimator, every run's rows in the view, a bootstrap on request")
    func overJob() throws {
        let session = try makeSession()
        defer { session.workspace.store.close() }
        session.must("new e seed 3; world features 4 actions 8; set warmup 1 decisions 50; compare greedy eps:0.3 runs 12 days 4")
        let text = session.must("evaluate greedy uniform on 1 estimators ips,dm,dr")
        #expect(text.contains("job 1 (compare greedy eps:0.3 runs 12 days 4, 12 runs per policy): targets fitted on days 1–3, estimated from day 4 (50 decisions per run)"))
        // Greedy logs cannot support a uniform target: unusable, never a number.
        let lines = text.split(separator: "\n").map(String.init)
        let unusable = lines.filter { $0.hasPrefix("greedy ") && $0.contains(" uniform ") && !$0.contains(" dm ") }
        #expect(unusable.count == 2 && unusable.allSatisfy { Self.cells($0)[3...5] == ["12", "0", "unusable"] }, "\(unusable)")
        #expect(lines.contains { Self.cells($0)[0...4] == ["eps:0.3", "uniform", "ips", "12", "12"] })
        #expect(!text.contains("snips"))
        let store = session.workspace.store
        // 2 logging policies × 12 runs × 2 targets × 3 estimators, each with its truth and whether its interval held it.
        #expect(try store.sql("SELECT count(*), count(truth), count(covered), count(DISTINCT run) FROM evaluations WHERE evaluation = 1")
                == [["144", "144", "144", "24"]])
        #expect(try store.sql("SELECT DISTINCT logging, estimator FROM evaluations WHERE target = 'uniform' AND usable = 0 ORDER BY 1, 2")
                == [["greedy", "dr"], ["greedy", "ips"]])
        // The table's coverage is the view's.
        let coverage = try store.sql("SELECT avg(covered) FROM evaluations WHERE logging = 'eps:0.3' AND target = 'greedy' AND estimator = 'dr'")[0][0]
        let row = try #require(lines.first { $0.hasPrefix("eps:0.3") && $0.contains(" greedy ") && $0.contains(" dr ") })
        #expect(row.contains(formatNumber(Double(coverage)!)), "\(row) against \(coverage)")
        // Bootstrap intervals: other bounds, the same estimates.
        session.must("evaluate greedy on 1 ci bootstrap")
        let pairs = try store.sql("""
            SELECT a.estimate = b.estimate, a.lower = b.lower FROM evaluations a JOIN evaluations b
            ON a.run = b.run AND a.target = b.target AND a.estimator = b.estimator
            WHERE a.evaluation = 1 AND b.evaluation = 2 AND a.target = 'greedy'
            """)
        #expect(pairs.count == 24 * 3 && pairs.allSatisfy { $0[0] == "1" } && pairs.contains { $0[1] == "0" })
        #expect(try store.sql("SELECT DISTINCT interval FROM evaluations WHERE evaluation = 2") == [["bootstrap"]])
        // The plot of the first evaluation's uniform target: per logging policy, the usable estimators and the truth, per run.
        session.must("evaluate greedy uniform on 1 estimators ips,dm,dr")
        let outcome = try #require(Interpreter(session: session).run("plot evaluation uniform").last)
        guard case .plot(let plot) = outcome.reply else { Issue.record("\(outcome)"); return }
        #expect(plot.series.map(\.label) == ["greedy dm", "greedy truth", "eps:0.3 ips", "eps:0.3 dm", "eps:0.3 dr", "eps:0.3 truth"])
        #expect(plot.series.allSatisfy { $0.mean.count == 12 } && plot.xLabel == "run" && plot.title.contains("unusable in some run: greedy ips, greedy dr"))
        let truths = try store.sql("SELECT truth FROM evaluations WHERE evaluation = 3 AND logging = 'greedy' AND target = 'uniform' AND estimator = 'dm' ORDER BY run")
        #expect(zip(plot.series[1].mean, truths).allSatisfy { abs($0 - Double($1[0])!) < 1e-12 } && truths.count == 12)
        #expect(session.refused("plot evaluation ts:30").contains("evaluation 3 has no target ts:30: it has greedy, uniform"))
    }

    /// A table row's cells, as the terminal shows them (no cell here has a space).
    static func cells(_ line: String) -> [String] { line.split(separator: " ").map(String.init) }

    @Test("the same job evaluates to the same figures, whichever order its runs were recorded in")
    func deterministic() throws {
        var replies: [String] = []
        for _ in 0..<3 {
            let session = try makeSession()
            defer { session.workspace.store.close() }
            session.must("new e seed 5; world features 4 actions 8; set warmup 1 decisions 40; compare greedy eps:0.3 ts:5 runs 8 days 3")
            replies.append(session.must("evaluate ts:5 softmax:0.2 on 1 ci bootstrap"))
        }
        #expect(Set(replies).count == 1, "\(replies)")
    }

    @Test("set keep summaries: the same curves, no decisions kept, and evaluate says why it cannot read the job")
    func keepSummaries() throws {
        var curves: [String] = []
        for keep in ["decisions", "summaries"] {
            let session = try makeSession()
            defer { session.workspace.store.close() }
            #expect(session.must("new e seed 5; world features 4 actions 8; set keep \(keep)").contains("keep = \(keep)"))
            session.must("compare greedy ts:5 runs 6 days 4")
            curves.append(try session.workspace.store.sql("SELECT policy, day, quote(mean), quote(se) FROM result_days ORDER BY policy, day")
                .description)
            let decisions = try session.workspace.store.sql("SELECT count(*) FROM decisions")[0][0]
            if keep == "summaries" {
                #expect(decisions == "0")
                #expect(session.refused("evaluate ts:5 on 1").contains("job 1 kept only the day summaries of its runs"))
                // The live run keeps its decisions whatever the setting.
                session.must("step 3")
                #expect(try session.workspace.store.sql("SELECT count(*) FROM decisions") == [["300"]])
                #expect(session.must("evaluate greedy train 2").contains("stored as evaluation 1"))
            } else {
                #expect(decisions == "\(2 * 6 * 4 * 100)")
                #expect(session.must("evaluate ts:5 on 1").contains("stored as evaluation 1"))
            }
        }
        #expect(curves[0] == curves[1])
        let session = try makeSession()
        defer { session.workspace.store.close() }
        session.must("new e")
        let before = try session.fingerprint()
        #expect(session.refused("set keep everything") == "keep must be one of decisions, summaries, not 'everything'")
        #expect(try session.fingerprint() == before)
    }

    @Test("the live run is not evaluated while a job plays it; a runs job of the same experiment is no obstacle")
    func whileAJobPlays() throws {
        let session = try makeSession()
        defer { session.workspace.store.close() }
        session.must("new e seed 2; world features 4 actions 6; set decisions 20; step 3; runs 2 days 3")
        session.must("set decisions 200000; day 200 &")
        #expect(session.refused("evaluate greedy").contains("job 3 is playing e: 'wait 3' or 'cancel 3' first"))
        #expect(session.must("evaluate greedy on 2").contains("stored as evaluation 1"))
        session.must("cancel 3; wait 3")
    }

    @Test("with the numpy generator, whose runs continue each other's stream, every run replays")
    func numpyJob() throws {
        let session = try makeSession()
        defer { session.workspace.store.close() }
        session.must("new n rng numpy seed 17; world features 4 actions 6; set decisions 30; compare greedy ts:5 eps:0.2 runs 4 days 3")
        #expect(session.must("evaluate eps:0.1 on 1").contains("stored as evaluation 1"))
        #expect(try session.workspace.store.sql("SELECT count(DISTINCT run), count(truth) FROM evaluations") == [["12", "48"]])
    }

    @Test("bad requests are refused with one line and store nothing")
    func refusals() throws {
        let session = try makeSession()
        defer { session.workspace.store.close() }
        session.must("new e seed 3; world features 3 actions 4")
        #expect(session.refused("evaluate greedy").contains("no live run to evaluate"))
        session.must("step 1")
        #expect(session.refused("evaluate greedy").contains("has 1 day: evaluate fits on some days and estimates on later ones, so it needs 2 or more"))
        // Jobs 1 and 2 play the live run (step), job 3 is a runs job, job 4 plays the live run again (day).
        session.must("step 2; set decisions 20; runs 2 days 3; day 1 &; wait")
        let before = try session.fingerprint() + session.workspace.store.sql("SELECT count(*) FROM evaluation_estimates").map { $0[0] }
        let cases: [(String, String)] = [
            ("evaluate greedy train 4", "train must leave a day to evaluate: the live run (greedy) has 4 days, so train 1 to 3"),
            ("evaluate greedy on 3 train 5", "train must leave a day to evaluate: job 3"),
            ("evaluate greedy on 9", "no job 9 in experiment e"),
            ("evaluate greedy on 4", "job 4 played the live run"),
            ("evaluate greedy greedy", "greedy is named twice"),
            ("evaluate greedy estimators ips,foo", "takes some of ips, snips, dm, dr, separated by commas, not 'foo'"),
            ("evaluate greedy estimators dr,dr", "dr is named twice"),
            ("evaluate greedy ci wide", "must be one of normal, bootstrap"),
            ("evaluate", "TARGET"),
        ]
        for (line, message) in cases {
            let error = session.refused(line)
            #expect(error.contains(message), "\(line): \(error)")
        }
        let after = try session.fingerprint() + session.workspace.store.sql("SELECT count(*) FROM evaluation_estimates").map { $0[0] }
        #expect(after == before && after.last == "0")
        // A job of a world since replaced, by one of other sizes or of the same: its runs do not replay in this one.
        for sizes in ["features 3 actions 5", "features 3 actions 4"] {
            session.must("world \(sizes)")
            #expect(session.refused("evaluate greedy on 3").contains("does not replay as logged: the world was replaced since the job ran"))
        }
    }

    @Test("an evaluation over the memory limit is refused before it starts, with its estimate")
    func budget() throws {
        let session = try BudgetTests.session(memory: 200_000_000)
        defer { session.workspace.store.close() }
        session.must("new e; world features 12 actions 1000; set decisions 20; step 2")
        let before = try session.fingerprint()
        let error = session.refused("evaluate ts:10000 greedy")
        #expect(error.contains("evaluate ts:10000 greedy needs about") && error.contains("the limit is 200 MB"), "\(error)")
        #expect(try session.fingerprint() == before)
        #expect(session.must("evaluate greedy").contains("stored as evaluation 1"))
    }

    @Test("completion offers the estimators not listed yet, and finished runs jobs after 'on'")
    func completion() throws {
        let session = try makeSession()
        defer { session.workspace.store.close() }
        session.must("new e seed 3; world features 3 actions 4; set decisions 10; runs 2 days 2; step 1")
        let source = CompletionSource.workspace(session.workspace, current: "e")
        #expect(Command.complete("evaluate greedy estimators ips,d", source: source).candidates == ["ips,dm", "ips,dr"])
        #expect(Command.complete("evaluate greedy estimators ", source: source).candidates == ["dm", "dr", "ips", "snips"])
        #expect(Command.complete("evaluate greedy on ", source: source).candidates == ["1"])
        #expect(Command.complete("evaluate greedy ci ", source: source).candidates == ["bootstrap", "normal"])
        // `plot evaluation FILE TARGET`, with each word optional: the words go to the arguments they suit.
        #expect(Command.outputFiles(in: "plot evaluation e.svg greedy; plot f.svg; plot greedy") == [0: "e.svg", 1: "f.svg"])
    }
}

@Suite("import logs")
struct ImportCommandTests {
    @Test("the Open Bandit Dataset extract imports as an experiment without a world, and evaluate reads it")
    func openBanditDataset() throws {
        let directory = temporaryDirectory()
        let session = try makeSession(directory)
        defer { session.workspace.store.close() }
        let csv = try Fixture.text("obd-random-all-extract", extension: "csv")
        try csv.write(toFile: directory + "/obd.csv", atomically: true, encoding: .utf8)
        let reply = session.must("import logs obd.csv as obd")
        #expect(reply == "imported 1050 decisions over 7 days from obd.csv into experiment obd: 28 features (the constant included), 80 posts; "
                + "'evaluate TARGET' estimates policies from them", "\(reply)")
        #expect(session.current == "obd")
        #expect(session.must("stats").contains("imported logs: 1050 decisions over 7 days from obd.csv, 28 features (the constant included), 80 posts"))
        #expect(session.must("experiments").contains("imported: obd.csv"))
        let store = session.workspace.store
        let logged = try store.sql("SELECT count(*), min(policy), sum(action), sum(viewing_time) FROM decision_log WHERE experiment = 'obd'")[0]
        #expect(logged[0] == "1050" && logged[1] == "logged" && Double(logged[2]) == Self.column(csv, "action").reduce(0, +)
                && Double(logged[3]) == Self.column(csv, "reward").reduce(0, +), "\(logged)")
        // Uniform logging (propensity 1/80): the uniform target's weights are exactly 1, so IPS is day 7's mean click.
        session.must("evaluate uniform greedy")
        let experiment = try #require(try store.experiment(named: "obd"))
        let rows = try #require(try store.latestEvaluation(experimentID: experiment.id)).rows
        let ips = try #require(rows.first { $0.target == .uniform && $0.estimate.estimator == .ips })
        let day7 = zip(Self.column(csv, "day"), Self.column(csv, "reward")).filter { $0.0 == 7 }.map(\.1)
        #expect(ips.decisions == 150 && ips.estimate.value == day7.reduce(0, +) / 150 && ips.largestWeight == 1 && ips.effectiveSampleSize == 150)
        // Support is unknown, so everything is usable, except SNIPS (0/0) where no decision weighs.
        #expect(rows.allSatisfy { $0.truth == nil && $0.unsupported == nil
                && $0.usable == ($0.estimate.estimator != .snips || $0.effectiveSampleSize > 0) })
        #expect(rows.allSatisfy { $0.estimate.value.isFinite && $0.estimate.lower.isFinite && $0.effectiveSampleSize.isFinite })
        #expect(session.must("evaluate greedy train 3").contains("estimated from days 4–7 (600 decisions)"))
        for line in ["world", "day", "evaluate greedy on 1"] {
            #expect(session.refused(line).contains("obd.csv"), "\(line)")
        }
        session.must("drop obd")
        // Its decisions, its import and its evaluations go with it.
        #expect(try store.sql("SELECT (SELECT count(*) FROM decisions), (SELECT count(*) FROM imports), (SELECT count(*) FROM evaluation_sets), "
                              + "(SELECT count(*) FROM evaluation_estimates)") == [["0", "0", "0", "0"]])
    }

    @Test("a bad file is refused with its line numbers and nothing is imported")
    func refusals() throws {
        let directory = temporaryDirectory()
        let session = try makeSession(directory)
        defer { session.workspace.store.close() }
        session.must("new e")
        var csv = try Fixture.text("obd-random-all-extract", extension: "csv")
        // Line 1,000 damaged: everything before it was good, and none of it is kept.
        var lines = csv.split(separator: "\n", omittingEmptySubsequences: false)
        lines[999] = lines[999].replacingOccurrences(of: ",0.0125,", with: ",0,")[...]
        csv = lines.joined(separator: "\n")
        try csv.write(toFile: directory + "/bad.csv", atomically: true, encoding: .utf8)
        try Data([0x61, 0x63, 0xff, 0xfe, 0x0a]).write(to: URL(fileURLWithPath: directory + "/binary.csv"))
        try FileManager.default.createDirectory(atPath: directory + "/folder", withIntermediateDirectories: true)
        try "action,reward,propensity,x1\n1,1,0.5,1\n".write(toFile: directory + "/good.csv", atomically: true, encoding: .utf8)
        let before = try session.fingerprint()
        let cases: [(String, String)] = [
            ("import logs bad.csv as obd", "bad.csv refused, nothing imported: line 1000: propensity must be a probability above 0 and at most 1, not '0'"),
            ("import logs missing.csv as obd", "cannot read missing.csv: no such file"),
            ("import logs folder as obd", "cannot read folder: not a regular file"),
            ("import logs binary.csv as obd", "binary.csv is not UTF-8 text"),
            ("import logs good.csv as e", "an experiment named 'e' exists already"),
            ("import logs good.csv as 'a b'", "NAME must be 1 to 64 letters"),
            ("import logs good.csv", "missing as"),
            ("import data good.csv as x", "expected 'logs' here, not 'data'"),
        ]
        for (line, message) in cases {
            let error = session.refused(line)
            #expect(error.contains(message), "\(line): \(error)")
        }
        #expect(try session.fingerprint() == before && session.current == "e")
        #expect(session.must("import logs good.csv as g").contains("imported 1 decision over 1 day"))
        #expect(session.refused("evaluate greedy").contains("has 1 day: evaluate fits on some days and estimates on later ones"))
    }

    /// A numeric column of a CSV text, by header name.
    static func column(_ csv: String, _ name: String) -> [Double] {
        let lines = csv.split(separator: "\n")
        let index = lines[0].split(separator: ",").firstIndex { $0 == name }!
        return lines.dropFirst().map { Double($0.split(separator: ",")[index])! }
    }
}
