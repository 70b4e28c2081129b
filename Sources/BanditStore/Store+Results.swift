// Results: a policy's curve per experiment, written as the job that computed it finishes.

import BanditCore

extension Store {
    /// Stores a curve under its policy label, replacing an earlier one with the same label (callers
    /// hold the lock, inside a transaction: a job's end).
    func writeResult(experimentID: Int64, curve: Curve, schedule: Schedule, jobID: Int64?) throws {
        try statement("DELETE FROM results WHERE experiment_id = ? AND policy = ?").bind(1, experimentID).bind(2, curve.label).run()
        try statement("""
            INSERT INTO results (experiment_id, policy, runs, days, decisions_per_day, warmup, ridge, job_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).bind([experimentID, curve.label, curve.runs, curve.mean.count, schedule.decisionsPerDay, schedule.warmup,
                       schedule.ridge, jobID]).run()
        let day = try statement("INSERT INTO result_days (experiment_id, policy, day, mean, se) VALUES (?, ?, ?, ?, ?)")
        for index in curve.mean.indices {
            try day.bind([experimentID, curve.label, index + 1, curve.mean[index], curve.standardError[index]]).run()
        }
    }

    /// The experiment's stored results, oldest first.
    public func results(experimentID: Int64) throws(StoreError) -> [StoredResult] {
        try reading { c in
            let heads = try c.statement("""
                SELECT policy, runs, days, decisions_per_day, warmup, ridge, job_id FROM results WHERE experiment_id = ? ORDER BY created_at, rowid
                """).bind(1, experimentID).rows { s in
                (s.string("policy"), s.int("runs"),
                 Schedule(decisionsPerDay: s.int("decisions_per_day"), days: s.int("days"), runs: s.int("runs"),
                               warmup: s.int("warmup"), ridge: s.double("ridge")),
                 s.optionalInt64("job_id"))
            }
            return try heads.map { label, runs, schedule, job in
                let points = try c.statement("SELECT mean, se FROM result_days WHERE experiment_id = ? AND policy = ? ORDER BY day")
                    .bind(1, experimentID).bind(2, label).rows { ($0.double("mean"), $0.double("se")) }
                return StoredResult(curve: Curve(label: label, runs: runs, mean: points.map(\.0), standardError: points.map(\.1)),
                                    schedule: schedule, jobID: job)
            }
        }
    }
}
