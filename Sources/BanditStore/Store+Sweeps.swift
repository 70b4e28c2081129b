// Sweeps: shard stores read without being changed, and merged into this store in one transaction.

import BanditCore
import Foundation

/// What a shard's store says of the shard it plays, read from its file alone.
public struct ShardState: Sendable, Equatable {
    public var plan: String
    public var index: Int
    public var shards: Int
    public var experiment: String
    public var world: World?
    public var command: String
    public var policies: [Policy]
    public var schedule: Schedule
    public var startGenerator: Generator
    public var ordinals: Range<Int>?
    public var state: JobState
    public var daysDone: Int
    public var daysTotal: Int
    /// Runs of the shard that played all their days.
    public var finishedRuns: Int
}

/// What a merge added to the store.
public struct MergedSweep: Sendable, Equatable {
    public var experimentID: Int64
    public var jobID: Int64
    public var runs: Int
    public var decisions: Int
    public var curves: [Curve]
}

extension Store {
    /// The shard jobs of the store in `directory` (normally one), read without writing anything;
    /// an empty list when the directory holds no store yet. A file that is not a bandit store of this
    /// schema version is refused.
    public static func readShards(directory: String) throws(StoreError) -> [ShardState] {
        let path = directory + "/" + databaseName
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        do {
            guard let connection = try ShardFile(opening: path) else { return [] }
            defer { connection.close() }
            return try connection.shards()
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.database(path: path, detail: "\(error)")
        }
    }

    /// Creates (with `create`, as experiment `name` with the plan's world) or uses experiment `name`,
    /// and adds to it, in one transaction, a finished job of the plan's command holding the finished
    /// runs of the shard stores at `shards` (their days, their latest checkpoints and, with
    /// `decisions`, their decisions) and each policy's curve over them, in ordinal order. The
    /// experiment's generator moves on as the job would have moved it, when nothing moved it since the
    /// plan. A plan merged before in full is refused; a partial merge of it is replaced.
    public func mergeSweep(
        _ spec: SweepSpec, shards: [String], into name: String, create: Bool, decisions: Bool, partial: Bool
    ) throws(StoreError) -> MergedSweep {
        let world: World, policies: [Policy], schedule: Schedule, start: Generator
        do {
            (world, policies, schedule, start) = (try spec.world(), try spec.policyList(), try spec.schedule(), try spec.generator())
        } catch {
            throw StoreError.database(path: path, detail: "sweep plan: \(error)")
        }
        return try transaction { connection in
            var experiment: ExperimentRecord
            if create {
                if try statement("SELECT 1 FROM experiments WHERE name = ?").bind(1, name).rows({ _ in 1 }).count > 0 {
                    throw StoreError.experimentExists(name)
                }
                try statement("INSERT INTO experiments (name, generator, seed, generator_state) VALUES (?, ?, ?, ?)")
                    .bind([name, start.kind.rawValue, Int64(spec.seed), GeneratorBlob.encode(start)]).run()
                experiment = ExperimentRecord(id: connection.lastInsertRowID, name: name, seed: spec.seed, generator: start, world: world,
                                              schedule: schedule, policy: policies[0])
                try writeExperiment(experiment, on: connection)
            } else {
                guard let found = try statement("SELECT id, generator_state FROM experiments WHERE name = ?").bind(1, name)
                    .rows({ ($0.int64("id"), $0.blob("generator_state")) }).first else { throw StoreError.noSuchExperiment(name) }
                experiment = ExperimentRecord(id: found.0, name: name, seed: spec.seed, generator: try GeneratorBlob.decodeGenerator(found.1),
                                              world: world, schedule: schedule, policy: policies[0])
            }
            let earlier = try statement("""
                SELECT m.job_id AS job, m.partial AS partial FROM sweep_merges m JOIN jobs j ON j.id = m.job_id
                WHERE m.plan = ? AND j.experiment_id = ?
                """).bind(1, spec.plan).bind(2, experiment.id).rows { ($0.int64("job"), $0.int("partial") != 0) }
            if let full = earlier.first(where: { !$0.1 }) { throw StoreError.sweepMerged(plan: spec.plan, job: full.0) }
            for (job, _) in earlier { try statement("DELETE FROM runs WHERE job_id = ?").bind(1, job).run()
                try statement("DELETE FROM jobs WHERE id = ?").bind(1, job).run() }
            let total = policies.count * schedule.runs * schedule.days
            try statement("""
                INSERT INTO jobs (experiment_id, command, kind, policies, runs, days, decisions_per_day, warmup, ridge, start_generator,
                                  state, days_done, days_total)
                VALUES (?, ?, 'runs', ?, ?, ?, ?, ?, ?, ?, 'finished', ?, ?)
                """).bind([experiment.id, spec.command, policies.map(\.label).joined(separator: " "), schedule.runs, schedule.days,
                           schedule.decisionsPerDay, schedule.warmup, schedule.ridge, GeneratorBlob.encode(start), total, total]).run()
            let jobID = connection.lastInsertRowID
            // Daily means by policy label and ordinal, for the curves.
            var daily: [String: [Int: [Double]]] = [:]
            var runs = 0, copied = 0
            for shard in shards {
                let file = try ShardFile(path: shard + "/" + Self.databaseName)
                defer { file.close() }
                for run in try file.finishedRuns(plan: spec.plan) {
                    // A finished run has every day of the plan, once each, and is one of the plan's.
                    guard run.days.map(\.day) == Array(1...schedule.days), (0..<schedule.runs).contains(run.ordinal),
                          policies.contains(where: { $0.label == run.policy }), daily[run.policy]?[run.ordinal] == nil else {
                        throw StoreError.corrupt(path: shard + "/" + Self.databaseName,
                                                 detail: "run \(run.id) (\(run.policy) #\(run.ordinal)) is not one of plan \(spec.plan)'s finished runs")
                    }
                    try statement("INSERT INTO runs (experiment_id, job_id, policy, ordinal, status, days_played) VALUES (?, ?, ?, ?, 'finished', ?)")
                        .bind([experiment.id, jobID, run.policy, run.ordinal, run.days.count]).run()
                    let runID = connection.lastInsertRowID
                    let day = try statement("INSERT INTO days (run_id, day, decisions, mean_viewing_time, regret) VALUES (?, ?, ?, ?, ?)")
                    for d in run.days { try day.bind([runID, d.day, d.decisions, d.meanViewingTime, d.regret]).run() }
                    try statement("""
                        INSERT INTO checkpoints (run_id, sequence, days_played, fits, coefficients, generator, fitted_decisions, bag_key)
                        VALUES (?, 0, ?, ?, ?, ?, ?, ?)
                        """).bind([runID, run.checkpoint.daysPlayed, run.checkpoint.fits, run.checkpoint.coefficients,
                                   run.checkpoint.generator, run.checkpoint.fittedDecisions, run.checkpoint.bagKey]).run()
                    if decisions {
                        copied += try file.forEachDay(of: run.id) { dayNumber, logged throws in
                            try insertDecisions(runID: runID, day: dayNumber, logged)
                        }
                    }
                    daily[run.policy, default: [:]][run.ordinal] = run.days.map(\.meanViewingTime)
                    runs += 1
                }
            }
            let curves = policies.compactMap { policy -> Curve? in
                guard let byOrdinal = daily[policy.label], !byOrdinal.isEmpty else { return nil }
                return Curve(label: policy.label, dailyMeans: byOrdinal.keys.sorted().map { byOrdinal[$0]! })
            }
            for curve in curves { try writeResult(experimentID: experiment.id, curve: curve, schedule: schedule, jobID: jobID) }
            try statement("INSERT INTO sweep_merges (job_id, plan, runs, partial) VALUES (?, ?, ?, ?)")
                .bind([jobID, spec.plan, runs, partial ? 1 : 0]).run()
            // Where the job would have left the experiment's generator: just after the key it drew.
            if case .fast(var master) = start {
                _ = master.next()
                try statement("UPDATE experiments SET generator_state = ? WHERE id = ? AND generator_state = ?")
                    .bind(1, GeneratorBlob.encode(.fast(master))).bind(2, experiment.id).bind(3, GeneratorBlob.encode(start)).run()
            }
            return MergedSweep(experimentID: experiment.id, jobID: jobID, runs: runs, decisions: copied, curves: curves)
        }
    }
}

/// A shard's store, only read: opened read-write (a store in WAL mode needs its -shm to be
/// readable alongside a shard that writes it), but never written, and not migrated.
private final class ShardFile {
    let connection: Connection
    let path: String

    /// The shard store at `path`, or nil while its shard is still creating it (no application id yet).
    convenience init?(opening path: String) throws {
        try self.init(opened: path)
        // bandit sets the application id last, in the transaction that creates the schema.
        if try connection.integer("PRAGMA application_id") ?? 0 == 0 {
            connection.close()
            return nil
        }
        try check()
    }

    convenience init(path: String) throws {
        try self.init(opened: path)
        try check()
    }

    private init(opened path: String) throws {
        self.path = path
        connection = try Connection(path: path)
    }

    private func check() throws {
        let application = try connection.integer("PRAGMA application_id") ?? 0
        let version = Int(try connection.integer("PRAGMA user_version") ?? 0)
        guard application == Schema.applicationID else { throw StoreError.notBandit(path: path) }
        guard version == Schema.version else {
            throw StoreError.database(path: path, detail: "a store of schema version \(version), where this bandit writes \(Schema.version)")
        }
    }

    func close() { connection.close() }

    func shards() throws -> [ShardState] {
        try connection.statement("""
            SELECT s.plan, s.shard, s.shards, e.name, e.features, e.actions, e.noise, e.weights, j.command, j.policies, j.runs, j.days,
                   j.decisions_per_day, j.warmup, j.ridge, j.start_generator, j.first_ordinal, j.ordinal_count, j.state, j.days_done,
                   j.days_total,
                   (SELECT count(*) FROM runs r WHERE r.job_id = j.id AND r.status = 'finished') AS finished
            FROM sweep_shards s JOIN jobs j ON j.id = s.job_id JOIN experiments e ON e.id = j.experiment_id ORDER BY s.shard
            """).rows { s in
            var world: World?
            if !s.isNull("features"), let weights = DoublesBlob.decode(s.blob("weights")) {
                world = try World(features: s.int("features"), actions: s.int("actions"), noise: s.double("noise"), weights: weights)
            }
            return ShardState(
                plan: s.string("plan"), index: s.int("shard"), shards: s.int("shards"), experiment: s.string("name"), world: world,
                command: s.string("command"),
                policies: try s.string("policies").split(separator: " ").map { try Policy(label: String($0)) },
                schedule: Schedule(decisionsPerDay: s.int("decisions_per_day"), days: s.int("days"), runs: s.int("runs"),
                                   warmup: s.int("warmup"), ridge: s.double("ridge")),
                startGenerator: try GeneratorBlob.decodeGenerator(s.blob("start_generator")),
                ordinals: s.optionalInt64("first_ordinal").map { Int($0)..<(Int($0) + s.int("ordinal_count")) },
                state: JobState(rawValue: s.string("state")) ?? .failed, daysDone: s.int("days_done"), daysTotal: s.int("days_total"),
                finishedRuns: s.int("finished"))
        }
    }

    struct StoredCheckpoint {
        var daysPlayed: Int
        var fits: Int
        var coefficients: [UInt8]
        var generator: [UInt8]
        var fittedDecisions: Int64?
        var bagKey: Int64
    }

    struct FinishedRun {
        var id: Int64
        var policy: String
        var ordinal: Int
        var days: [DaySummary]
        var checkpoint: StoredCheckpoint
    }

    /// The shard's finished runs of plan `plan`, by policy and ordinal, with their days and latest checkpoint.
    func finishedRuns(plan: String) throws -> [FinishedRun] {
        let runs = try connection.statement("""
            SELECT r.id, r.policy, r.ordinal FROM runs r JOIN sweep_shards s ON s.job_id = r.job_id
            WHERE s.plan = ? AND r.status = 'finished' ORDER BY r.policy, r.ordinal
            """).bind(1, plan).rows { ($0.int64("id"), $0.string("policy"), $0.int("ordinal")) }
        return try runs.map { id, policy, ordinal in
            let days = try connection.statement("SELECT day, decisions, mean_viewing_time, regret FROM days WHERE run_id = ? ORDER BY day")
                .bind(1, id).rows {
                    DaySummary(day: $0.int("day"), decisions: $0.int("decisions"), meanViewingTime: $0.double("mean_viewing_time"),
                               regret: $0.double("regret"))
                }
            guard let checkpoint = try connection.statement("""
                SELECT days_played, fits, coefficients, generator, fitted_decisions, bag_key FROM checkpoints
                WHERE run_id = ? ORDER BY sequence DESC LIMIT 1
                """).bind(1, id).rows({
                    StoredCheckpoint(daysPlayed: $0.int("days_played"), fits: $0.int("fits"), coefficients: $0.blob("coefficients"),
                                     generator: $0.blob("generator"), fittedDecisions: $0.optionalInt64("fitted_decisions"),
                                     bagKey: $0.int64("bag_key"))
                }).first else { throw StoreError.corrupt(path: path, detail: "run \(id) has no checkpoint") }
            return FinishedRun(id: id, policy: policy, ordinal: ordinal, days: days, checkpoint: checkpoint)
        }
    }

    /// Calls `body` with each day's decisions of a run, in order; returns how many there were.
    func forEachDay(of runID: Int64, _ body: (Int, [Decision]) throws -> Void) throws -> Int {
        let query = try connection.statement("SELECT \(Store.decisionColumns) FROM decisions WHERE run_id = ? ORDER BY day, idx")
        query.bind(1, runID)
        defer { query.reset() }
        let columns = Store.DecisionColumns(query)
        var current = 0, batch: [Decision] = [], count = 0
        while try query.step() {
            let (day, decision) = columns.read(query)
            if day != current && !batch.isEmpty {
                try body(current, batch)
                batch.removeAll(keepingCapacity: true)
            }
            current = day
            batch.append(decision)
            count += 1
        }
        if !batch.isEmpty { try body(current, batch) }
        return count
    }
}
