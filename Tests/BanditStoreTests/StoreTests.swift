// The store: round trips of everything it keeps, retention, and refusals that lose nothing.

@testable import BanditStore
import BanditCore
import BanditJobs
import Foundation
import BanditTestSupport
import Testing

/// An experiment with a drawn world in a fresh store.
func makeExperiment(_ store: Store, kind: GeneratorKind, name: String = "e", features: Int = 5, actions: Int = 8) throws -> ExperimentRecord {
    var experiment = try store.createExperiment(name: name, seed: 17, generator: Generator(kind: kind, seed: 17))
    experiment.world = try World.draw(features: features, actions: actions, using: &experiment.generator)
    try store.save(experiment)
    return experiment
}

@Suite("Store")
struct StoreTests {
    @Test("experiments round-trip with their generator, world, settings and policy")
    func experiments() throws {
        let store = try Store(directory: temporaryDirectory())
        defer { store.close() }
        var experiment = try makeExperiment(store, kind: .numpy)
        experiment.schedule = Schedule(decisionsPerDay: 50, days: 7, runs: 3)
        experiment.policy = .thompson(12)
        try store.save(experiment)
        let loaded = try #require(try store.experiment(named: "e"))
        #expect(loaded == experiment)
        let other = Generator(kind: .default, seed: 1)
        #expect(throws: StoreError.experimentExists("e")) { try store.createExperiment(name: "e", seed: 1, generator: other) }
        let created = try store.createExperiment(name: "f", seed: 1, generator: other)
        #expect(created.kind == .default && created.seed == 1 && created.generator == other)
        #expect(try store.experiment(named: "f") == created)
        #expect(try store.experiments().map(\.experiment.name) == ["e", "f"])
        try store.dropExperiment(named: "e")
        #expect(try store.experiment(named: "e") == nil)
        #expect(throws: StoreError.noSuchExperiment("e")) { try store.dropExperiment(named: "e") }
    }

    @Test("a run restored from the store mid-way ends bit for bit as the uninterrupted one, after a day without a fit too",
          arguments: [GeneratorKind.numpy, .default], [Policy.greedy, .epsilonGreedy(0.2), .thompson(6), .uniform, .epsilonDecay(3),
                                                        .softmax(0.05), .linUCB(1), .linTS(0.1), .onlineBootstrap(5)])
    func exactResumption(kind: GeneratorKind, policy: Policy) throws {
        let store = try Store(directory: temporaryDirectory())
        defer { store.close() }
        let experiment = try makeExperiment(store, kind: kind)
        let world = try #require(experiment.world)
        let oracle = world.oracle().best
        // The notebook's policies as the notebook plays them; the others with a warm-up day and λ = 0.5.
        let notebook = [Policy.greedy, .epsilonGreedy(0.2), .thompson(6)].contains(policy)
        let ridge = notebook ? 1 : 0.5, warmup = notebook ? 0 : 1
        // Day 4 (index 3) is played without a fit, as the live run's `day`: its checkpoint holds
        // coefficients (and LinUCB's, LinTS's A⁻¹) of fewer decisions than it logged.
        let fitted = { (day: Int) in day != 3 }
        var reference = Run(world: world, policy: policy, generator: experiment.generator, oracleValue: oracle, ridge: ridge,
                            warmup: warmup)
        // 237 a day: the store inserts a day's decisions in blocks of 100, so blocks of 100, 100 and 37.
        var logged: [[Decision]] = []
        for day in 0..<6 {
            reference.playDay(decisions: 237)
            logged.append(reference.lastDay)
            if fitted(day) { reference.fit() }
        }
        var run = Run(world: world, policy: policy, generator: experiment.generator, oracleValue: oracle, ridge: ridge, warmup: warmup)
        let record = try store.startRun(experimentID: experiment.id, jobID: nil, policy: policy, ordinal: 0, status: .live,
                                        checkpoint: run.checkpoint, world: world)
        for day in 0..<6 {
            let summary = run.playDay(decisions: 237)
            if fitted(day) { run.fit() }
            try store.commitDay(run: record, summary: summary, decisions: run.lastDay, checkpoint: run.checkpoint, world: world)
            if day == 2 || day == 3 || day == 4 {
                // Throw the run away and continue from the store.
                let saved = try store.loadRun(id: record.id, world: world)
                run = Run(world: world, policy: policy, oracleValue: oracle, ridge: ridge, warmup: warmup,
                          checkpoint: saved.checkpoint, days: saved.days, history: saved.history)
            }
        }
        #expect(run.days.map(\.meanViewingTime.bitPattern) == reference.days.map(\.meanViewingTime.bitPattern))
        #expect(run.recommender.coefficients.map(\.bitPattern) == reference.recommender.coefficients.map(\.bitPattern))
        #expect(run.generator == reference.generator)
        #expect(try store.recentDecisions(runID: record.id, limit: 237).map(\.decision) == reference.lastDay)
        #expect(try store.loadRun(id: record.id, world: world).history == logged)
    }

    @Test("retention: a live run keeps every checkpoint, a finished or job run only its latest")
    func retention() throws {
        let store = try Store(directory: temporaryDirectory())
        defer { store.close() }
        let experiment = try makeExperiment(store, kind: .default)
        let world = try #require(experiment.world)
        for status in [RunStatus.live, .running] {
            var run = Run(world: world, policy: .greedy, generator: experiment.generator, oracleValue: 0)
            let record = try store.startRun(experimentID: experiment.id, jobID: nil, policy: .greedy, ordinal: status == .live ? 0 : 1,
                                            status: status, checkpoint: run.checkpoint, world: world)
            for _ in 0..<3 {
                let summary = run.playDay(decisions: 10)
                run.fit()
                try store.commitDay(run: record, summary: summary, decisions: run.lastDay, checkpoint: run.checkpoint, world: world)
            }
            let kept = try store.checkpoints(runID: record.id, world: world)
            #expect(kept.map(\.daysPlayed) == (status == .live ? [0, 1, 2, 3] : [3]))
            #expect(kept.last?.coefficients == run.recommender.coefficients)
            try store.endRun(record)
            #expect(try store.checkpoints(runID: record.id, world: world).map(\.daysPlayed) == [3])
        }
    }

    @Test("coefficients on disk: the notebook's member × action × feature order, little-endian")
    func coefficientLayout() throws {
        // Engine layout (member, feature, action): value = 100·m + 10·j + a.
        let members = 2, actions = 3, features = 4
        var engine = [Double](repeating: 0, count: members * actions * features)
        for m in 0..<members { for j in 0..<features { for a in 0..<actions {
            engine[(m * features + j) * actions + a] = Double(100 * m + 10 * j + a)
        } } }
        let blob = CoefficientsBlob.encode(members: members, actions: actions, features: features, engineLayout: engine)
        #expect(Array(blob[0..<4]) == Array("BETA".utf8))
        #expect(blob.count == 20 + 8 * 24)
        // The second value on disk is member 0, action 0, feature 1 = 10.
        #expect(Double(bitPattern: readUInt64(blob, at: 28)) == 10)
        let decoded = try #require(CoefficientsBlob.decode(blob, actions: actions, features: features))
        #expect(decoded.members == 2 && decoded.coefficients == engine)
        #expect(CoefficientsBlob.decode(blob, actions: 4, features: 3) == nil)
    }

    @Test("statements read columns by name: bare, aliased, and the leftmost of a repeated name")
    func columnsByName() throws {
        let connection = try Connection(path: temporaryDirectory() + "/t.db")
        defer { connection.close() }
        try connection.execute("CREATE TABLE t (a INTEGER, b TEXT, c BLOB); INSERT INTO t VALUES (7, 'x', NULL)")
        let s = try connection.prepare("SELECT c, b, a, a * 2 AS twice, 5 AS a FROM t")
        #expect(try s.step())
        #expect(s.column("b") == 1 && s.column("twice") == 3 && s.column("a") == 2)
        #expect(s.int("a") == 7 && s.int64("twice") == 14 && s.string("b") == "x" && s.double("a") == 7)
        #expect(s.isNull("c") && s.optionalBlob("c") == nil && s.optionalString("b") == "x" && s.optionalInt64("twice") == 14)
        s.reset()
    }

    @Test("the SQL views answer plain questions")
    func views() throws {
        let directory = temporaryDirectory()
        let store = try Store(directory: directory)
        defer { store.close() }
        let experiment = try makeExperiment(store, kind: .default)
        let job = try JobExecutor(store: store).create(experiment: experiment, command: "runs", policies: [.greedy],
                                                       schedule: Schedule(decisionsPerDay: 20, days: 5, runs: 2))
        _ = try JobExecutor(store: store).execute(jobID: job.id)
        let rows = try store.sql("SELECT experiment, policy, day, runs, mean, se FROM result_curves ORDER BY day")
        #expect(rows.count == 5 && rows[0][0] == "e" && rows[0][1] == "greedy" && rows[4][2] == "5" && rows[0][3] == "2")
        #expect(try store.sql("SELECT count(*) FROM run_days") == [["10"]])
        #expect(try store.sql("SELECT count(*), min(propensity), max(decision) FROM decision_log") == [["200", "1.0", "19"]])
    }

    @Test("a compare job through the store plays exactly what the engine alone plays, on any number of threads",
          arguments: GeneratorKind.allCases)
    func jobMatchesEngine(kind: GeneratorKind) throws {
        let policies: [Policy] = [.greedy, .epsilonGreedy(0.2), .thompson(6)]
        let schedule = Schedule(decisionsPerDay: 30, days: 5, runs: 3)
        var engineEnds: [Generator] = [], engineCurves: [[Curve]] = []
        var experiment: ExperimentRecord?
        for threads in [1, 2, 3] {
            let store = try Store(directory: temporaryDirectory())
            defer { store.close() }
            let created = try makeExperiment(store, kind: kind, actions: 7)
            experiment = created
            let executor = JobExecutor(store: store, threads: threads)
            let job = try executor.create(experiment: created, command: "compare", policies: policies, schedule: schedule)
            guard case .finished(let curves) = try executor.execute(jobID: job.id) else {
                Issue.record("the job did not finish")
                return
            }
            var generator = created.generator
            let world = try #require(created.world)
            let alone = Experiment.compare(world: world, policies: policies, schedule: schedule, generator: &generator,
                                           oracleValue: world.oracle().best, threads: threads)
            #expect(alone.map { $0.mean.map(\.bitPattern) } == curves.map { $0.mean.map(\.bitPattern) }, "\(threads) threads")
            #expect(alone.map { $0.standardError.map(\.bitPattern) } == curves.map { $0.standardError.map(\.bitPattern) })
            // The experiment's generator moves on to the same place either way.
            #expect(try store.experiment(id: created.id)?.generator == generator)
            engineEnds.append(generator)
            engineCurves.append(alone)
        }
        #expect(engineEnds.allSatisfy { $0 == engineEnds[0] } && engineEnds[0] != experiment?.generator)
        #expect(engineCurves.allSatisfy { $0 == engineCurves[0] })
    }

    /// What the migrations after version 1 added, dropped: a version-1 file again.
    static let undoMigrationsAfterVersion1 = """
        ALTER TABLE checkpoints DROP COLUMN picks; ALTER TABLE jobs DROP COLUMN crashes;
        ALTER TABLE jobs DROP COLUMN days_at_start;
        ALTER TABLE experiments DROP COLUMN warmup; ALTER TABLE experiments DROP COLUMN ridge;
        ALTER TABLE jobs DROP COLUMN warmup; ALTER TABLE jobs DROP COLUMN ridge;
        ALTER TABLE results DROP COLUMN warmup; ALTER TABLE results DROP COLUMN ridge;
        ALTER TABLE checkpoints DROP COLUMN fitted_decisions; ALTER TABLE checkpoints DROP COLUMN bag_key;
        DROP VIEW evaluations; DROP TABLE evaluation_estimates; DROP TABLE evaluation_sets; DROP TABLE imports;
        ALTER TABLE jobs DROP COLUMN first_ordinal; ALTER TABLE jobs DROP COLUMN ordinal_count; DROP TABLE sweep_shards; DROP TABLE sweep_merges;
        ALTER TABLE experiments DROP COLUMN keep; ALTER TABLE jobs DROP COLUMN keep
        """

    @Test("a version-1 file is migrated forward; picks it never recorded are counted from its decisions")
    func migrationFromVersion1() throws {
        let directory = temporaryDirectory()
        var store = try Store(directory: directory)
        let experiment = try makeExperiment(store, kind: .default, actions: 6)
        let world = try #require(experiment.world)
        var run = Run(world: world, policy: .greedy, generator: experiment.generator, oracleValue: world.oracle().best)
        let record = try store.startRun(experimentID: experiment.id, jobID: nil, policy: .greedy, ordinal: 0, status: .live,
                                        checkpoint: run.checkpoint, world: world)
        for _ in 0..<3 {
            let summary = run.playDay(decisions: 40)
            run.fit()
            try store.commitDay(run: record, summary: summary, decisions: run.lastDay, checkpoint: run.checkpoint, world: world,
                                picks: run.recommender.counts)
        }
        #expect(try store.summary(of: record, world: world).picks == run.recommender.counts)
        store.close()
        // What version 1 wrote: no picks column.
        let raw = try Connection(path: directory + "/bandit.db")
        try raw.execute(Self.undoMigrationsAfterVersion1 + "; PRAGMA user_version=1")
        raw.close()
        store = try Store(directory: directory)
        defer { store.close() }
        #expect(try store.sql("PRAGMA user_version") == [["\(Store.schemaVersion)"]])
        #expect(try store.sql("SELECT count(*) FROM checkpoints WHERE picks IS NULL") == [["4"]])
        let summary = try store.summary(of: record, world: world)
        #expect(summary.picks == run.recommender.counts && summary.picks.reduce(0, +) == 120)
        #expect(summary.days == 3 && summary.decisions == 120 && summary.fits == 3)
    }
}
