// Jobs: long work recorded as it starts, its progress and state, and its end with its results.

import BanditCore

extension Store {
    private static let jobColumns =
        "id, experiment_id, command, policies, runs, days, decisions_per_day, warmup, ridge, start_generator, state, days_done, days_total, resumed, message, kind, live_run_id, crashes, first_ordinal, ordinal_count, keep"

    private func readJob(_ s: Statement) throws -> JobRecord {
        JobRecord(
            id: s.int64("id"), experimentID: s.int64("experiment_id"), command: s.string("command"),
            kind: JobKind(rawValue: s.string("kind")) ?? .runs, liveRunID: s.optionalInt64("live_run_id"),
            policies: try s.string("policies").split(separator: " ").map { try Policy(label: String($0)) },
            schedule: Schedule(decisionsPerDay: s.int("decisions_per_day"), days: s.int("days"), runs: s.int("runs"),
                               warmup: s.int("warmup"), ridge: s.double("ridge")),
            startGenerator: try GeneratorBlob.decodeGenerator(s.blob("start_generator")),
            state: JobState(rawValue: s.string("state")) ?? .failed, daysDone: s.int("days_done"), daysTotal: s.int("days_total"),
            resumed: s.int("resumed"), message: s.optionalString("message"), crashes: s.int("crashes"),
            ordinals: s.optionalInt64("first_ordinal").map { first in Int(first)..<(Int(first) + s.int("ordinal_count")) },
            keep: DecisionKeeping(rawValue: s.string("keep")) ?? .decisions)
    }

    /// Records a job about to run: R runs × D days for each policy, from the given generator (only
    /// the runs numbered `ordinals` of each policy, for a shard of a sweep).
    public func createJob(
        experimentID: Int64, command: String, policies: [Policy], schedule: Schedule, startGenerator: Generator,
        kind: JobKind = .runs, liveRunID: Int64? = nil, ordinals: Range<Int>? = nil, shard: ShardIdentity? = nil,
        keep: DecisionKeeping = .decisions
    ) throws(StoreError) -> JobRecord {
        try transaction { connection in
            let total = policies.count * (ordinals?.count ?? schedule.runs) * schedule.days
            try statement("""
                INSERT INTO jobs (experiment_id, command, kind, live_run_id, policies, runs, days, decisions_per_day,
                                  warmup, ridge, start_generator, state, days_total, first_ordinal, ordinal_count, keep)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)
                """).bind([
                    experimentID, command, kind.rawValue, liveRunID, policies.map(\.label).joined(separator: " "), schedule.runs,
                    schedule.days, schedule.decisionsPerDay, schedule.warmup, schedule.ridge, GeneratorBlob.encode(startGenerator), total,
                    ordinals?.lowerBound, ordinals?.count, keep.rawValue,
                ]).run()
            if let shard {
                try statement("INSERT INTO sweep_shards (job_id, plan, shard, shards) VALUES (?, ?, ?, ?)")
                    .bind([connection.lastInsertRowID, shard.plan, shard.index, shard.count]).run()
            }
            return JobRecord(id: connection.lastInsertRowID, experimentID: experimentID, command: command, kind: kind,
                             liveRunID: liveRunID, policies: policies, schedule: schedule, startGenerator: startGenerator,
                             state: .running, daysDone: 0, daysTotal: total, resumed: 0, message: nil, crashes: 0, ordinals: ordinals,
                             keep: keep)
        }
    }

    /// Marks a job of the live run (`day`, `step`) finished.
    public func finishLiveJob(_ id: Int64) throws(StoreError) {
        try transaction { _ in try markFinished(jobID: id) }
    }

    public func job(id: Int64) throws(StoreError) -> JobRecord? {
        try reading { c in try c.statement("SELECT \(Self.jobColumns) FROM jobs WHERE id = ?").bind(1, id).rows(readJob).first }
    }

    /// Jobs, newest last; of one experiment, or of all.
    public func jobs(experimentID: Int64? = nil) throws(StoreError) -> [JobRecord] {
        try reading { c in
            if let experimentID {
                return try c.statement("SELECT \(Self.jobColumns) FROM jobs WHERE experiment_id = ? ORDER BY id")
                    .bind(1, experimentID).rows(readJob)
            }
            return try c.statement("SELECT \(Self.jobColumns) FROM jobs ORDER BY id").rows(readJob)
        }
    }

    /// Sets a job's state (and message); `resuming` also counts a resumption. A job set running
    /// notes the days it has done, by which the next open tells whether it completed a day since.
    public func setJobState(id: Int64, _ state: JobState, message: String? = nil, resuming: Bool = false) throws(StoreError) {
        try transaction { connection in
            try statement("""
                UPDATE jobs SET state = ?1, message = ?2, resumed = resumed + ?3, updated_at = \(Self.now),
                    days_at_start = CASE WHEN ?1 = 'running' THEN days_done ELSE days_at_start END
                WHERE id = ?4
                """).bind([state.rawValue, message, resuming ? 1 : 0, id]).run()
            if connection.changes == 0 { throw StoreError.noSuchJob(id) }
        }
    }

    /// Finishes a job in one transaction: its curves become the experiment's results (replacing
    /// earlier ones with the same labels) and the experiment's generator moves on from where the job
    /// started it, unless something reseeded or moved it meanwhile.
    public func finishJob(_ job: JobRecord, curves: [Curve], experimentGenerator: Generator) throws(StoreError) {
        try transaction { _ in
            for curve in curves { try writeResult(experimentID: job.experimentID, curve: curve, schedule: job.schedule, jobID: job.id) }
            // Only when nothing moved the experiment's generator meanwhile (a `seed`, another job).
            try statement("UPDATE experiments SET generator_state = ? WHERE id = ? AND generator_state = ?")
                .bind(1, GeneratorBlob.encode(experimentGenerator)).bind(2, job.experimentID)
                .bind(3, GeneratorBlob.encode(job.startGenerator)).run()
            try markFinished(jobID: job.id)
        }
    }

    /// A job's end, whichever kind: every day done, no message left from an interruption.
    private func markFinished(jobID: Int64) throws {
        try statement("UPDATE jobs SET state = 'finished', days_done = days_total, message = NULL, updated_at = \(Self.now) WHERE id = ?")
            .bind(1, jobID).run()
    }

    /// The job that plays shard `index` of sweep plan `plan` in this store, if it was started.
    public func shardJob(plan: String, index: Int) throws(StoreError) -> JobRecord? {
        try reading { c in
            try c.statement("""
                SELECT \(Self.jobColumns.split(separator: ",").map { "j." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
                FROM jobs j JOIN sweep_shards s ON s.job_id = j.id WHERE s.plan = ? AND s.shard = ?
                """).bind(1, plan).bind(2, index).rows(readJob).first
        }
    }
}

/// Which shard of which sweep plan a job plays.
public struct ShardIdentity: Sendable, Equatable {
    public var plan: String
    public var index: Int
    public var count: Int

    public init(plan: String, index: Int, count: Int) {
        self.plan = plan
        self.index = index
        self.count = count
    }
}
