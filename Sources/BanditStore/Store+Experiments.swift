// Experiments: their generator, world, settings and live policy; created, saved, given a new world, dropped.

import BanditCore

extension Store {
    private static let experimentColumns =
        "id, name, seed, generator_state, features, actions, noise, weights, decisions_per_day, days, runs, warmup, ridge, policy, keep"

    private func readExperiment(_ s: Statement) throws -> ExperimentRecord {
        let state = try GeneratorBlob.decode(s.blob("generator_state"))
        var world: World?
        if !s.isNull("features") {
            guard let weights = DoublesBlob.decode(s.blob("weights")) else { throw StoreError.corrupt(path: path, detail: "weights") }
            world = try World(features: s.int("features"), actions: s.int("actions"), noise: s.double("noise"), weights: weights)
        }
        return ExperimentRecord(
            id: s.int64("id"), name: s.string("name"), seed: UInt32(truncatingIfNeeded: s.int64("seed")),
            generator: try Generator(state: state), world: world,
            schedule: Schedule(decisionsPerDay: s.int("decisions_per_day"), days: s.int("days"), runs: s.int("runs"),
                               warmup: s.int("warmup"), ridge: s.double("ridge")),
            policy: try Policy(label: s.string("policy")), keep: DecisionKeeping(rawValue: s.string("keep")) ?? .decisions)
    }

    /// Creates an experiment with no world yet and default settings, drawing from `generator`, which
    /// the caller seeded with `seed` (the engine decides how: `Generator(kind:seed:)`).
    public func createExperiment(name: String, seed: UInt32, generator: Generator) throws(StoreError) -> ExperimentRecord {
        try transaction { connection in
            if try statement("SELECT 1 FROM experiments WHERE name = ?").bind(1, name).rows({ _ in 1 }).count > 0 {
                throw StoreError.experimentExists(name)
            }
            let insert = try statement("INSERT INTO experiments (name, generator, seed, generator_state) VALUES (?, ?, ?, ?)")
            try insert.bind([name, generator.kind.rawValue, Int64(seed), GeneratorBlob.encode(generator)]).run()
            let id = connection.lastInsertRowID
            return ExperimentRecord(id: id, name: name, seed: seed, generator: generator, world: nil,
                                    schedule: Schedule(), policy: .greedy)
        }
    }

    public func experiment(named name: String) throws(StoreError) -> ExperimentRecord? {
        try reading { c in
            try c.statement("SELECT \(Self.experimentColumns) FROM experiments WHERE name = ?").bind(1, name)
                .rows(readExperiment).first
        }
    }

    public func experiment(id: Int64) throws(StoreError) -> ExperimentRecord? {
        try reading { c in
            try c.statement("SELECT \(Self.experimentColumns) FROM experiments WHERE id = ?").bind(1, id)
                .rows(readExperiment).first
        }
    }

    /// Every experiment with its days logged and the labels of its stored results.
    public func experiments() throws(StoreError) -> [ExperimentSummary] {
        try reading { c in
            let records = try c.statement("SELECT \(Self.experimentColumns) FROM experiments ORDER BY name").rows(readExperiment)
            return try records.map { record in
                let days = try c.statement("SELECT count(*) FROM days JOIN runs ON runs.id = days.run_id WHERE runs.experiment_id = ?")
                    .bind(1, record.id).rows { $0.int(0) }.first ?? 0
                let labels = try c.statement("SELECT policy FROM results WHERE experiment_id = ? ORDER BY created_at, policy")
                    .bind(1, record.id).rows { $0.string(0) }
                let imported = try c.statement("SELECT file, days FROM imports WHERE experiment_id = ?")
                    .bind(1, record.id).rows { ($0.string("file"), $0.int("days")) }.first
                return ExperimentSummary(experiment: record, daysLogged: days + (imported?.1 ?? 0), results: labels,
                                         importedFrom: imported?.0)
            }
        }
    }

    /// Writes an experiment's mutable fields: generator, world, settings, live policy, seed; with
    /// `retiringLiveRun`, also retires its live run, in the same transaction.
    public func save(_ experiment: ExperimentRecord, retiringLiveRun: Bool = false) throws(StoreError) {
        try transaction { connection in
            try writeExperiment(experiment, on: connection)
            if retiringLiveRun { try retireLiveRuns(experimentID: experiment.id) }
        }
    }

    /// Saves an experiment with a new world: its live run is retired, the results obtained on the
    /// previous world are removed, and its unfinished jobs can no longer be resumed (their runs
    /// belong to the old world), all in one transaction.
    public func replaceWorld(_ experiment: ExperimentRecord) throws(StoreError) {
        try transaction { connection in
            try writeExperiment(experiment, on: connection)
            try retireLiveRuns(experimentID: experiment.id)
            try statement("DELETE FROM results WHERE experiment_id = ?").bind(1, experiment.id).run()
            try statement("""
                UPDATE jobs SET state = 'failed', message = 'the world was replaced', crashes = 0, updated_at = \(Self.now)
                WHERE experiment_id = ? AND (state IN ('running', 'interrupted', 'cancelled') OR crashes >= \(JobRecord.crashLimit))
                """).bind(1, experiment.id).run()
        }
    }

    func writeExperiment(_ experiment: ExperimentRecord, on connection: Connection) throws {
        let update = try connection.statement("""
            UPDATE experiments SET seed = ?, generator_state = ?, features = ?, actions = ?, noise = ?, weights = ?,
                decisions_per_day = ?, days = ?, runs = ?, warmup = ?, ridge = ?, policy = ?, keep = ? WHERE id = ?
            """)
        let world = experiment.world
        try update.bind([
            Int64(experiment.seed), GeneratorBlob.encode(experiment.generator), world?.features, world?.actions, world?.noise,
            world.map { DoublesBlob.encode($0.weights) }, experiment.schedule.decisionsPerDay, experiment.schedule.days,
            experiment.schedule.runs, experiment.schedule.warmup, experiment.schedule.ridge, experiment.policy.label, experiment.keep.rawValue, experiment.id,
        ]).run()
        if connection.changes == 0 { throw StoreError.noSuchExperiment(experiment.name) }
    }

    private func retireLiveRuns(experimentID: Int64) throws {
        // Unfinished `day` and `step` jobs played the retiring run: nothing is left for them to continue.
        try statement("""
            UPDATE jobs SET state = 'failed', message = 'the live run was replaced', crashes = 0, updated_at = \(Self.now)
            WHERE experiment_id = ? AND kind IN ('day', 'step')
                AND (state IN ('running', 'interrupted', 'cancelled') OR crashes >= \(JobRecord.crashLimit))
            """).bind(1, experimentID).run()
        let live = try statement("SELECT id FROM runs WHERE experiment_id = ? AND status = 'live'").bind(1, experimentID).rows { $0.int64(0) }
        for id in live {
            try statement("UPDATE runs SET status = 'retired' WHERE id = ?").bind(1, id).run()
            let last = try nextCheckpointSequence(runID: id) - 1
            try pruneCheckpoints(runID: id, keepingFrom: last)
        }
    }

    /// Deletes an experiment and everything it holds; returns how many decisions it had logged. The
    /// pages it held go to the file's free list: `reclaimSpace` gives them back to the file system.
    @discardableResult
    public func dropExperiment(named name: String) throws(StoreError) -> Int {
        try transaction { connection in
            // Each day row counts its decisions: no scan of the decisions themselves.
            let decisions = try statement("""
                SELECT coalesce(sum(d.decisions), 0) FROM days d JOIN runs r ON r.id = d.run_id
                JOIN experiments e ON e.id = r.experiment_id WHERE e.name = ?
                """).bind(1, name).rows { $0.int(0) }.first ?? 0
            try statement("DELETE FROM experiments WHERE name = ?").bind(1, name).run()
            if connection.changes == 0 { throw StoreError.noSuchExperiment(name) }
            return decisions
        }
    }
}
