// Bad input and faults: a clear one-line error naming the file, nothing overwritten, nothing lost.

@testable import BanditStore
import BanditCore
import BanditJobs
import Foundation
import BanditTestSupport
import Testing

func banditExecutable() throws -> String { try builtExecutable("bandit") }

@discardableResult
func runProcess(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stderr: String) {
    let (status, _, stderr) = try runProgram(executable, arguments)
    return (status, stderr)
}

@Suite("Store faults")
struct FaultTests {
    @Test("a file that is not SQLite is refused and left untouched")
    func notADatabase() throws {
        let directory = temporaryDirectory()
        let path = directory + "/bandit.db"
        let garbage = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        #expect(FileManager.default.createFile(atPath: path, contents: garbage))
        #expect(throws: StoreError.notADatabase(path: path)) { try Store(directory: directory) }
        #expect(contents(path) == garbage)
        #expect(StoreError.notADatabase(path: path).description.contains(path))
        // The lock was released: a later open with a good file works.
        try FileManager.default.removeItem(atPath: path)
        let store = try Store(directory: directory)
        store.close()
    }

    @Test("another program's SQLite database is refused and left untouched")
    func foreignDatabase() throws {
        let directory = temporaryDirectory()
        let path = directory + "/bandit.db"
        let other = try Connection(path: path)
        try other.execute("CREATE TABLE accounts (id INTEGER); INSERT INTO accounts VALUES (1)")
        other.close()
        let before = contents(path)
        #expect(throws: StoreError.notBandit(path: path)) { try Store(directory: directory) }
        #expect(contents(path) == before)
    }

    @Test("a foreign database that looks versioned is refused untouched: not switched to WAL, its rows as they were",
          arguments: [
              "PRAGMA user_version = 1; CREATE TABLE jobs (id INTEGER, state TEXT); INSERT INTO jobs VALUES (1, 'running')",
              "PRAGMA user_version = 2; CREATE TABLE notes (body TEXT)",
              "PRAGMA user_version = -1; CREATE TABLE notes (body TEXT)",
              "PRAGMA user_version = -1",
              "PRAGMA application_id = 7; PRAGMA user_version = 1",
          ])
    func foreignVersioned(setup: String) throws {
        let directory = temporaryDirectory()
        let path = directory + "/bandit.db"
        let other = try Connection(path: path)
        try other.execute(setup)
        other.close()
        let before = contents(path)
        #expect(throws: StoreError.notBandit(path: path)) { try Store(directory: directory) }
        #expect(contents(path) == before)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal") && !FileManager.default.fileExists(atPath: path + "-shm"))
    }

    @Test("a store made before the application id opens, is recognised by its tables, and gets the id")
    func storeWithoutApplicationID() throws {
        let directory = temporaryDirectory()
        let path = directory + "/bandit.db"
        var store = try Store(directory: directory)
        _ = try store.createExperiment(name: "kept", seed: 3, generator: Generator(kind: .numpy, seed: 3))
        store.close()
        let raw = try Connection(path: path)
        #expect(try raw.integer("PRAGMA application_id") == 0x424E_4454)
        try raw.execute("PRAGMA application_id = 0")
        raw.close()
        store = try Store(directory: directory)
        #expect(try store.experiment(named: "kept") != nil)
        store.close()
        let again = try Connection(path: path)
        defer { again.close() }
        #expect(try again.integer("PRAGMA application_id") == 0x424E_4454)
    }

    @Test("a schema newer than this program is refused and left untouched")
    func newerSchema() throws {
        let directory = temporaryDirectory()
        let path = directory + "/bandit.db"
        try Store(directory: directory).close()
        let connection = try Connection(path: path)
        try connection.execute("PRAGMA user_version = 99")
        connection.close()
        let before = contents(path)
        #expect(throws: StoreError.newerSchema(path: path, found: 99, supported: Store.schemaVersion)) {
            try Store(directory: directory)
        }
        #expect(contents(path) == before)
    }

    @Test("a database held by another daemon is refused, naming its pid")
    func inUse() throws {
        let directory = temporaryDirectory()
        let first = try Store(directory: directory)
        defer { first.close() }
        #expect(throws: StoreError.inUse(path: first.path, holder: "pid \(getpid())")) { try Store(directory: directory) }
        // And from another process, through the real program.
        let (status, stderr) = try runProcess(try banditExecutable(), ["--no-daemon", "--state-dir", directory, "-c", "experiments"])
        #expect(status == 1)
        #expect(stderr.contains("in use by another bandit daemon (pid \(getpid()))"))
        #expect(stderr.split(separator: "\n").count == 1)
    }

    @Test("read-only file or directory: a clear error from the real program, nothing changed")
    func readOnly() throws {
        let directory = temporaryDirectory()
        let store = try Store(directory: directory)
        _ = try makeExperiment(store, kind: .default)
        store.close()
        let path = directory + "/bandit.db"
        let before = contents(path)
        let bandit = try banditExecutable()
        // Root may write anything: run the program as nobody against files it cannot write.
        func runAsUnprivileged(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
            guard getuid() == 0 else { return try runProcess(bandit, arguments) }
            return try runProcess("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", bandit] + arguments)
        }
        // The file read-only, the directory writable.
        chmod(directory, 0o777)
        chmod(path, 0o444)
        chmod(path + ".lock", 0o666)
        var (status, stderr) = try runAsUnprivileged(["--no-daemon", "--state-dir", directory, "-c", "use e"])
        #expect(status == 1)
        #expect(stderr.contains("\(path) is read-only"), "\(stderr)")
        // The directory read-only (SQLite could not create its journal), the file writable.
        chmod(path, 0o666)
        chmod(directory, 0o555)
        (status, stderr) = try runAsUnprivileged(["--no-daemon", "--state-dir", directory, "-c", "use e"])
        #expect(status == 1)
        #expect(stderr.hasPrefix("bandit: \(directory) is read-only"), "\(stderr)")
        chmod(directory, 0o700)
        #expect(contents(path) == before)
    }

    @Test("a transaction whose body throws rolls back whole and reports the body's error")
    func transactionRollsBack() throws {
        struct Refusal: Error {}
        let connection = try Connection(path: temporaryDirectory() + "/t.db")
        defer { connection.close() }
        try connection.execute("CREATE TABLE t (x INTEGER)")
        #expect(throws: Refusal.self) {
            try connection.transaction {
                try connection.execute("INSERT INTO t VALUES (1); CREATE TABLE u (y INTEGER)")
                throw Refusal()
            }
        }
        #expect(!connection.inTransaction)
        #expect(try connection.integer("SELECT count(*) FROM t") == 0)
        #expect(try connection.integer("SELECT count(*) FROM sqlite_master WHERE name = 'u'") == 0)
        try connection.transaction { try connection.execute("INSERT INTO t VALUES (2)") }
        #expect(try connection.integer("SELECT sum(x) FROM t") == 2)
    }

    @Test("a migration that fails changes nothing: the file keeps its version, and opens once repaired")
    func failedMigration() throws {
        let directory = temporaryDirectory()
        let path = directory + "/bandit.db"
        try Store(directory: directory).close()
        // A version-1 file that already has version 2's column: the migration to 2 fails.
        let raw = try Connection(path: path)
        try raw.execute("PRAGMA user_version=1")
        raw.close()
        #expect {
            try Store(directory: directory)
        } throws: { error in
            "\(error)".contains("duplicate column name: picks")
        }
        let check = try Connection(path: path)
        #expect(try check.integer("PRAGMA user_version") == 1)
        // Repaired: what version 1 had, so that every later migration applies.
        try check.execute(StoreTests.undoMigrationsAfterVersion1)
        check.close()
        let store = try Store(directory: directory)
        defer { store.close() }
        #expect(try store.sql("PRAGMA user_version") == [["\(Store.schemaVersion)"]])
    }

    @Test("disk full during a day: the day rolls back whole, the store keeps serving")
    func diskFull() throws {
        let directory = temporaryDirectory()
        var store = try Store(directory: directory)
        let experiment = try makeExperiment(store, kind: .default, actions: 30)
        let world = try #require(experiment.world)
        let pages = Int(try #require(try store.sql("PRAGMA page_count").first?.first.flatMap { Int($0) }))
        store.close()
        // Room for a few days of decisions, not for many.
        store = try Store(directory: directory, options: StoreOptions(maximumPages: pages + 40))
        defer { store.close() }
        var run = Run(world: world, policy: .thompson(5), generator: experiment.generator, oracleValue: 0)
        let record = try store.startRun(experimentID: experiment.id, jobID: nil, policy: run.policy, ordinal: 0, status: .live,
                                        checkpoint: run.checkpoint, world: world)
        var committed = 0
        var refusal: StoreError?
        for _ in 0..<200 {
            let summary = run.playDay(decisions: 200)
            run.fit()
            do {
                try store.commitDay(run: record, summary: summary, decisions: run.lastDay, checkpoint: run.checkpoint, world: world)
                committed += 1
            } catch {
                refusal = error
                break
            }
        }
        #expect(refusal == .full(path: store.path))
        #expect(committed > 0)
        // Nothing of the refused day: whole days only, and the run's progress says so.
        #expect(try store.sql("SELECT count(*) FROM decisions") == [["\(committed * 200)"]])
        #expect(try store.sql("SELECT count(*), max(day) FROM days") == [["\(committed)", "\(committed)"]])
        #expect(try store.loadRun(id: record.id, world: world).checkpoint.daysPlayed == committed)
        // Still serving: reads work, and small writes fit (a job recorded, then finished with its result).
        #expect(try store.experiment(named: "e") != nil)
        let job = try store.createJob(experimentID: experiment.id, command: "runs", policies: [.greedy], schedule: Schedule(),
                                      startGenerator: experiment.generator)
        let curve = Curve(label: "greedy", dailyMeans: [[1, 2]])
        try store.finishJob(job, curves: [curve], experimentGenerator: experiment.generator)
        #expect(try store.results(experimentID: experiment.id).map(\.curve) == [curve])
        #expect(try store.job(id: job.id)?.state == .finished)
        #expect(try store.integrityCheck() == "ok")
    }

    @Test("disk full during a job: its writer's error stops the runs, and the job resumes to the same curves",
          arguments: GeneratorKind.allCases)
    func diskFullDuringJob(kind: GeneratorKind) throws {
        let policies: [Policy] = [.greedy, .thompson(5)]
        let schedule = Schedule(decisionsPerDay: 150, days: 12, runs: 4)
        // The uninterrupted job, in a store with room.
        let reference = try Store(directory: temporaryDirectory())
        let referenceExperiment = try makeExperiment(reference, kind: kind, actions: 20)
        let referenceJob = try JobExecutor(store: reference).create(experiment: referenceExperiment, command: "compare",
                                                                     policies: policies, schedule: schedule)
        guard case .finished(let expected) = try JobExecutor(store: reference).execute(jobID: referenceJob.id) else {
            Issue.record("the reference job did not finish")
            return
        }
        reference.close()

        let directory = temporaryDirectory()
        var store = try Store(directory: directory)
        let experiment = try makeExperiment(store, kind: kind, actions: 20)
        let job = try JobExecutor(store: store).create(experiment: experiment, command: "compare", policies: policies,
                                                       schedule: schedule)
        let pages = Int(try #require(try store.sql("PRAGMA page_count").first?.first.flatMap { Int($0) }))
        store.close()
        store = try Store(directory: directory, options: StoreOptions(maximumPages: pages + 60))
        do {
            _ = try JobExecutor(store: store).execute(jobID: job.id)
            Issue.record("the job did not meet the full disk")
        } catch {
            // The job's state is written after the failure, and may not fit either: the error says so.
            #expect("\(error)".hasPrefix(StoreError.full(path: store.path).description), "\(error)")
        }
        let stopped = try #require(try store.job(id: job.id))
        #expect(stopped.state == .interrupted && stopped.message?.isEmpty == false
            || stopped.state == .running && "\(stopped.message ?? "")".isEmpty, "\(stopped)")
        // Whole days only: every day row has its decisions, and the store still answers.
        let days = try store.sql("SELECT count(*) FROM days")[0][0], rows = try store.sql("SELECT count(*) FROM decisions")[0][0]
        #expect(Int(days)! > 0 && Int(days)! < policies.count * schedule.runs * schedule.days)
        #expect(Int(rows)! == Int(days)! * schedule.decisionsPerDay)
        #expect(try store.integrityCheck() == "ok")
        store.close()
        // With room again, the job continues from its committed days to the uninterrupted curves;
        // a job left `running` by a state that did not fit is interrupted from the next open on.
        store = try Store(directory: directory)
        defer { store.close() }
        #expect(try store.job(id: job.id)?.state == .interrupted)
        guard case .finished(let curves) = try JobExecutor(store: store).execute(jobID: job.id) else {
            Issue.record("the resumed job did not finish")
            return
        }
        #expect(curves.map { $0.mean.map(\.bitPattern) } == expected.map { $0.mean.map(\.bitPattern) })
        #expect(curves.map { $0.standardError.map(\.bitPattern) } == expected.map { $0.standardError.map(\.bitPattern) })
    }
}
