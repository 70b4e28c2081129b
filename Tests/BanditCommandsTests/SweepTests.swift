// sweep: a compare planned in shards, played as local processes (and killed, and played again),
// merged back byte for byte as one daemon plays it; foreign and missing shards refused.

@testable import BanditCommands
import BanditCore
import BanditStore
import BanditTestSupport
import Foundation
import Testing

@Suite("sweeps")
struct SweepTests {
    static let setup = "new e seed 5; world features 4 actions 8; set decisions 30"
    static let compare = "compare greedy eps:0.2 ts:5 runs 9 days 4"

    /// `export curves` and the experiment's generator after the compare played by one process.
    static func direct(_ command: String = compare) throws -> (curves: String, generator: String) {
        let session = try makeSession()
        defer { session.workspace.store.close() }
        session.must(setup + "; " + command)
        return (try session.file("export curves c.csv").contents,
                try session.workspace.store.sql("SELECT hex(generator_state) FROM experiments WHERE name = 'e'")[0][0])
    }

    @Test("planned in 3 shards, played as local processes and merged: the curves and the generator are one process's, byte for byte")
    func localMatchesOneProcess() throws {
        let directory = temporaryDirectory()
        let session = try makeSession(directory)
        defer { session.workspace.store.close() }
        session.must(Self.setup)
        let reply = session.must("sweep plan \(Self.compare) shards 3 into plan local")
        #expect(reply.contains("9 runs per policy in 3 shards (3–3 runs each)") && reply.contains("played 3 shards here"), "\(reply)")
        let script = try String(contentsOfFile: directory + "/plan/sweep.sbatch", encoding: .utf8)
        #expect(script.contains("#SBATCH --array=0-2") && script.contains("#SBATCH --requeue") && script.contains("#SBATCH --mem=")
                && script.contains("#SBATCH --time=") && script.contains("shard '\(directory)/plan/sweep.json' \"$SLURM_ARRAY_TASK_ID\""))
        #expect(session.must("sweep status plan").contains("3 of 3 shards done"))
        let merged = session.must("sweep merge plan")
        #expect(merged.contains("27 of 27 runs, 3240 decisions"), "\(merged)")
        let (curves, generator) = try Self.direct()
        #expect(try session.file("export curves c.csv").contents == curves)
        #expect(try session.workspace.store.sql("SELECT hex(generator_state) FROM experiments WHERE name = 'e'")[0][0] == generator)
        // Every run, day and decision is there, and evaluate reads the merged job like any other.
        #expect(try session.workspace.store.sql("SELECT count(*), sum(days_played) FROM runs") == [["27", "108"]])
        #expect(session.must("evaluate greedy on 1").contains("stored as evaluation 1"))
        // Into another experiment, without the decisions: the same curves, the runs and days, no decisions.
        #expect(session.must("sweep merge plan as light without decisions").contains("27 of 27 runs, without their decisions"))
        #expect(try session.file("export curves c.csv").contents == curves)
        #expect(try session.workspace.store.sql("""
            SELECT count(DISTINCT r.id), count(DISTINCT d.run_id || '-' || d.day), (SELECT count(*) FROM decision_log WHERE experiment = 'light')
            FROM runs r JOIN experiments e ON e.id = r.experiment_id JOIN days d ON d.run_id = r.id WHERE e.name = 'light'
            """) == [["27", "108", "0"]])
        session.must("use e")
        // A plan merged in full is not merged twice; a shard played again has nothing to do.
        #expect(session.refused("sweep merge plan").contains("is merged already, as job 1"))
        let again = try runBandit(["--no-daemon", "--state-dir", directory + "/plan/shard-1", "shard", directory + "/plan/sweep.json", "1"],
                                  directory: directory)
        #expect(again.status == 0 && again.stdout.contains("has played its runs already"), "\(again)")
    }

    @Test("'sweep plan ... local &' returns at once; the shards go on as processes, and merge follows them")
    func background() throws {
        let directory = temporaryDirectory()
        let session = try makeSession(directory)
        defer { session.workspace.store.close() }
        session.must(Self.setup)
        #expect(session.must("sweep plan \(Self.compare) shards 3 into plan local &").contains("started 3 shards as processes here"))
        var done = false
        for _ in 0..<600 where !done {
            Thread.sleep(forTimeInterval: 0.05)
            done = session.must("sweep status plan").contains("3 of 3 shards done")
        }
        #expect(done)
        session.must("sweep merge plan")
        #expect(try session.file("export curves c.csv").contents == (try Self.direct()).curves)
        #expect(session.refused("sweep status plan &").contains("only 'sweep plan ... local' runs in the background"))
        #expect(session.refused("stats &").contains("only jobs (runs, compare, day, step, resume) and 'sweep plan ... local' run in the background"))
    }

    @Test("a shard killed with SIGKILL mid-way continues from its last committed day when started again")
    func killedShard() throws {
        let directory = temporaryDirectory()
        let session = try makeSession(directory)
        defer { session.workspace.store.close() }
        session.must(Self.setup + "; set decisions 3000")
        session.must("sweep plan compare greedy ts:5 runs 4 days 6 shards 2 into plan")
        let shard = directory + "/plan/shard-0"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try banditExecutable())
        process.arguments = ["--no-daemon", "--state-dir", shard, "shard", directory + "/plan/sweep.json", "0"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Killed once some days are committed, and before the shard's 24 days are.
        var done = 0
        for _ in 0..<600 where done < 3 {
            Thread.sleep(forTimeInterval: 0.02)
            done = (try? Store.readShards(directory: shard).first?.daysDone) ?? 0
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let killed = try #require(try Store.readShards(directory: shard).first)
        #expect(killed.daysDone >= 3 && killed.daysDone < 24 && killed.state != .finished, "\(killed)")
        #expect(session.refused("sweep merge plan").contains("shards not done: 0 ("), "unfinished shards are named")
        for index in 0..<2 {
            let run = try runBandit(["--no-daemon", "--state-dir", directory + "/plan/shard-\(index)", "shard", directory + "/plan/sweep.json", "\(index)"],
                                    directory: directory)
            #expect(run.status == 0, "\(run.stderr)")
        }
        session.must("sweep merge plan")
        #expect(try session.file("export curves c.csv").contents == (try Self.direct("set decisions 3000; compare greedy ts:5 runs 4 days 6")).curves)
    }

    @Test("missing shards are listed with the command that plays them; partial merges what is done; a foreign shard is refused")
    func missingAndForeign() throws {
        let directory = temporaryDirectory()
        let session = try makeSession(directory)
        defer { session.workspace.store.close() }
        session.must(Self.setup)
        session.must("sweep plan \(Self.compare) shards 3 into plan")
        let before = try session.fingerprint()
        for index in [0, 2] {
            let run = try runBandit(["--no-daemon", "--state-dir", directory + "/plan/shard-\(index)", "shard", "plan/sweep.json", "\(index)"],
                                    directory: directory)
            #expect(run.status == 0, "\(run.stderr)")
        }
        let error = session.refused("sweep merge plan")
        #expect(error.contains("shards not done: 1 (missing); nothing merged") && error.contains("shard-I shard") && error.contains("partial"), "\(error)")
        #expect(try session.fingerprint() == before)
        #expect(session.must("sweep status plan").contains("2 of 3 shards done"))
        let partial = session.must("sweep merge plan partial")
        #expect(partial.contains("18 of 27 runs") && partial.contains("(partial"), "\(partial)")
        // The last shard played, a full merge replaces the partial one: the same curves as one process.
        let last = try runBandit(["--no-daemon", "--state-dir", directory + "/plan/shard-1", "shard", "plan/sweep.json", "1"], directory: directory)
        #expect(last.status == 0)
        #expect(session.must("sweep merge plan").contains("27 of 27 runs"))
        #expect(try session.file("export curves c.csv").contents == (try Self.direct()).curves)
        #expect(try session.workspace.store.sql("SELECT count(*) FROM runs") == [["27"]])
        // A shard of another plan, put where this plan's shard 0 goes, is refused by name.
        session.must("sweep plan \(Self.compare) shards 3 into other")
        let foreign = try runBandit(["--no-daemon", "--state-dir", directory + "/other/shard-0", "shard", "other/sweep.json", "0"], directory: directory)
        #expect(foreign.status == 0)
        try FileManager.default.removeItem(atPath: directory + "/plan/shard-0")
        try FileManager.default.moveItem(atPath: directory + "/other/shard-0", toPath: directory + "/plan/shard-0")
        #expect(session.refused("sweep merge plan as copy").contains("shard 0 (\(directory)/plan/shard-0) is refused: foreign: it plays plan"))
    }

    @Test("local shards that would not fit the memory limit together are refused before any starts")
    func budget() throws {
        let session = try BudgetTests.session(memory: 200_000_000)
        defer { session.workspace.store.close() }
        session.must(Self.setup)
        let error = session.refused("sweep plan \(Self.compare) shards 9 into plan local")
        #expect(error.contains("9 local shards needs about") && error.contains("the limit is 200 MB"), "\(error)")
        #expect(session.must("sweep plan \(Self.compare) shards 9 into plan2").contains("in 9 shards"))
    }

    @Test("plans that cannot be played apart, or that would overwrite one, are refused and write nothing")
    func refusals() throws {
        let directory = temporaryDirectory()
        let session = try makeSession(directory)
        defer { session.workspace.store.close() }
        session.must("new n rng numpy seed 1; world features 3 actions 4")
        #expect(session.refused("sweep plan runs 4 shards 2 into p").contains("uses the numpy generator"))
        session.must(Self.setup)
        let cases: [(String, String)] = [
            ("sweep plan runs 4 shards 5 into p", "5 shards for 4 runs per policy: at most one shard per run"),
            ("sweep plan stats shards 2 into p", "takes a 'runs ...' or 'compare ...' command"),
            ("sweep plan compare greedy greedy runs 4 shards 2 into p", "greedy is named twice"),
            ("sweep plan runs 4 into p", "usage: sweep plan COMMAND shards N into DIR"),
            ("sweep plan runs 4 shards 0 into p", "shards must be an integer from 1 to 10000"),
            ("sweep merge nowhere", "no sweep plan there"),
            ("sweep status", "usage: sweep status DIR"),
        ]
        for (line, message) in cases {
            let error = session.refused(line)
            #expect(error.contains(message), "\(line): \(error)")
        }
        #expect(!FileManager.default.fileExists(atPath: directory + "/p"))
        session.must("sweep plan runs 4 shards 2 into p")
        #expect(session.refused("sweep plan runs 4 shards 2 into p").contains("holds a plan already"))
        try "{\"format\": \"something\"}".write(toFile: directory + "/bad.json", atomically: true, encoding: .utf8)
        #expect(session.refused("shard bad.json 0").contains("not a bandit sweep plan"))
        #expect(session.refused("shard p/sweep.json 2").contains("has 2 shards: INDEX from 0 to 1"))
    }
}
