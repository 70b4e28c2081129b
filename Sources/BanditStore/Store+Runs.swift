// Runs and what they log: days, decisions and checkpoints, committed a day at a time and read back to continue a run.

import BanditCore

extension Store {
    private static let runColumns = "id, experiment_id, job_id, policy, ordinal, status, days_played"
    private static let checkpointColumns = "days_played, fits, coefficients, generator, fitted_decisions, bag_key"
    private static let dayColumns = "day, decisions, mean_viewing_time, regret"
    static let decisionColumns = "day, context, action, propensity, viewing_time"

    private func readRun(_ s: Statement) throws -> RunRecord {
        RunRecord(id: s.int64("id"), experimentID: s.int64("experiment_id"), jobID: s.optionalInt64("job_id"),
                  policy: try Policy(label: s.string("policy")), ordinal: s.int("ordinal"),
                  status: RunStatus(rawValue: s.string("status")) ?? .finished, daysPlayed: s.int("days_played"))
    }

    /// Records a new run with its initial checkpoint (the reset's coefficients and generator).
    public func startRun(
        experimentID: Int64, jobID: Int64?, policy: Policy, ordinal: Int, status: RunStatus, checkpoint: RunCheckpoint,
        world: World
    ) throws(StoreError) -> RunRecord {
        try transaction { connection in
            try statement("INSERT INTO runs (experiment_id, job_id, policy, ordinal, status) VALUES (?, ?, ?, ?, ?)")
                .bind([experimentID, jobID, policy.label, ordinal, status.rawValue]).run()
            let id = connection.lastInsertRowID
            try insertCheckpoint(runID: id, sequence: 0, checkpoint, world: world, picks: status == .live ? Array(repeating: 0, count: world.actions) : nil)
            if status == .live { try shareGenerator(experimentID: experimentID, checkpoint.generator) }
            return RunRecord(id: id, experimentID: experimentID, jobID: jobID, policy: policy, ordinal: ordinal,
                             status: status, daysPlayed: 0)
        }
    }

    private func insertCheckpoint(runID: Int64, sequence: Int, _ checkpoint: RunCheckpoint, world: World, picks: [Int]?) throws {
        let blob = CoefficientsBlob.encode(members: checkpoint.members, actions: world.actions, features: world.features,
                                           engineLayout: checkpoint.coefficients)
        try statement("""
            INSERT INTO checkpoints (run_id, sequence, days_played, fits, coefficients, generator, picks, fitted_decisions, bag_key)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).bind([runID, sequence, checkpoint.daysPlayed, checkpoint.fits, blob, GeneratorBlob.encode(checkpoint.generator),
                       picks.map(CountsBlob.encode), checkpoint.fittedDecisions, Int64(bitPattern: checkpoint.bagKey)]).run()
    }

    func nextCheckpointSequence(runID: Int64) throws -> Int {
        try statement("SELECT coalesce(max(sequence), -1) + 1 FROM checkpoints WHERE run_id = ?").bind(1, runID)
            .rows { $0.int(0) }.first ?? 0
    }

    func pruneCheckpoints(runID: Int64, keepingFrom sequence: Int) throws {
        try statement("DELETE FROM checkpoints WHERE run_id = ? AND sequence < ?").bind(1, runID).bind(2, sequence).run()
    }

    /// Commits one day atomically: its decisions, its summary, the checkpoint taken after it (and after
    /// the fit that follows, when there is one), the run's progress and, for a job, the job's.
    /// `picks`, a live run's picks per post so far, goes with the checkpoint (for `stats`).
    public func commitDay(
        run: RunRecord, summary: DaySummary, decisions: [Decision], checkpoint: RunCheckpoint, world: World,
        picks: [Int]? = nil, jobDaysDone: Int? = nil, jobID: Int64? = nil
    ) throws(StoreError) {
        try commit([.day(run: run, summary: summary, decisions: decisions, checkpoint: checkpoint, picks: picks)], world: world,
                   jobDaysDone: jobDaysDone, jobID: jobID)
    }

    /// Commits a job's waiting work in one transaction (group commit): days of its runs, each with its
    /// decisions, summary and checkpoint, and the ends of runs, in the order given, with the job's
    /// progress once. All of it or none of it is committed, so each day stays whole.
    ///
    /// A run of a job keeps only its latest checkpoint, so of several days of one such run only the
    /// last day's checkpoint is written (what one transaction per day would have left); a live run
    /// keeps every checkpoint. With `keeping: .summaries`, a run that ends here keeps its days and its
    /// last checkpoint but no decisions: those of its days in this batch are never written, those
    /// committed before are deleted.
    public func commit(
        _ batch: [CommitWork], world: World, keeping: DecisionKeeping = .decisions, jobDaysDone: Int? = nil, jobID: Int64? = nil
    ) throws(StoreError) {
        var lastDay: [Int64: Int] = [:], ending: Set<Int64> = []
        for (index, work) in batch.enumerated() {
            switch work {
            case .day(let run, _, _, _, _): lastDay[run.id] = index
            case .endRun(let run): ending.insert(run.id)
            }
        }
        try transaction { _ in
            var job = jobID
            for (index, work) in batch.enumerated() {
                switch work {
                case .day(let run, let summary, let decisions, let checkpoint, let picks):
                    if keeping == .decisions || !ending.contains(run.id) {
                        try insertDecisions(runID: run.id, day: summary.day, decisions)
                    }
                    try statement("INSERT INTO days (run_id, day, decisions, mean_viewing_time, regret) VALUES (?, ?, ?, ?, ?)")
                        .bind([run.id, summary.day, summary.decisions, summary.meanViewingTime, summary.regret]).run()
                    if run.status == .live || lastDay[run.id] == index {
                        try recordCheckpoint(run: run, checkpoint, world: world, picks: picks)
                    }
                    job = job ?? run.jobID
                case .endRun(let run):
                    try markEnded(run, status: .finished)
                    if keeping == .summaries {
                        try statement("DELETE FROM decisions WHERE run_id = ?").bind(1, run.id).run()
                    }
                }
            }
            if let done = jobDaysDone, let job {
                try statement("UPDATE jobs SET days_done = ?, updated_at = \(Self.now) WHERE id = ?").bind(1, done).bind(2, job).run()
            }
        }
    }

    /// Rows per INSERT statement: one statement step inserts a whole block of a day's decisions.
    static let decisionsPerStatement = 100

    /// A day's decisions, `decisionsPerStatement` rows per step of a multi-row INSERT whose run and
    /// day are the shared parameters ?1 and ?2 (callers hold the lock, inside a transaction).
    func insertDecisions(runID: Int64, day: Int, _ decisions: [Decision]) throws {
        var start = 0
        while start < decisions.count {
            let rows = min(Self.decisionsPerStatement, decisions.count - start)
            let insert = try decisionInsert(rows: rows)
            insert.bind(1, runID).bind(2, day)
            for row in 0..<rows {
                let decision = decisions[start + row], first = Int32(3 + 5 * row)
                insert.bind(first, start + row).bind(first + 1, Int64(bitPattern: decision.context))
                    .bind(first + 2, decision.action).bind(first + 3, decision.propensity).bind(first + 4, decision.viewingTime)
            }
            guard try !insert.step() else { throw StoreError.corrupt(path: path, detail: "insert returned a row") }
            insert.reset()
            start += rows
        }
    }

    private func decisionInsert(rows: Int) throws -> Statement {
        if let cached = decisionInserts[rows] { return cached }
        let tuples = (0..<rows).map { row in
            let first = 3 + 5 * row
            return "(?1, ?2, ?\(first), ?\(first + 1), ?\(first + 2), ?\(first + 3), ?\(first + 4))"
        }
        let insert = try statement("INSERT INTO decisions (run_id, day, idx, context, action, propensity, viewing_time) VALUES "
                                   + tuples.joined(separator: ", "))
        decisionInserts[rows] = insert
        return insert
    }

    /// A checkpoint on its own (after a `fit` of the live run), with the run's progress.
    public func saveCheckpoint(run: RunRecord, _ checkpoint: RunCheckpoint, world: World, picks: [Int]? = nil) throws(StoreError) {
        try transaction { _ in try recordCheckpoint(run: run, checkpoint, world: world, picks: picks) }
    }

    private func recordCheckpoint(run: RunRecord, _ checkpoint: RunCheckpoint, world: World, picks: [Int]?) throws {
        let sequence = try nextCheckpointSequence(runID: run.id)
        try insertCheckpoint(runID: run.id, sequence: sequence, checkpoint, world: world, picks: picks)
        if run.status == .live {
            try shareGenerator(experimentID: run.experimentID, checkpoint.generator)
        } else {
            try pruneCheckpoints(runID: run.id, keepingFrom: sequence)
        }
        try statement("UPDATE runs SET days_played = ? WHERE id = ?").bind(1, checkpoint.daysPlayed).bind(2, run.id).run()
    }

    /// A live run draws from its experiment's generator: the experiment's state moves with it, in the
    /// same transaction as the run's checkpoint.
    private func shareGenerator(experimentID: Int64, _ generator: Generator) throws {
        try statement("UPDATE experiments SET generator_state = ? WHERE id = ?")
            .bind(1, GeneratorBlob.encode(generator)).bind(2, experimentID).run()
    }

    /// Marks a run finished (or a live run retired) and keeps only its latest checkpoint.
    public func endRun(_ run: RunRecord, status: RunStatus = .finished) throws(StoreError) {
        try transaction { _ in try markEnded(run, status: status) }
    }

    private func markEnded(_ run: RunRecord, status: RunStatus) throws {
        try statement("UPDATE runs SET status = ? WHERE id = ?").bind(1, status.rawValue).bind(2, run.id).run()
        let last = try nextCheckpointSequence(runID: run.id) - 1
        try pruneCheckpoints(runID: run.id, keepingFrom: last)
    }

    public func runs(jobID: Int64) throws(StoreError) -> [RunRecord] {
        try reading { c in
            try c.statement("SELECT \(Self.runColumns) FROM runs WHERE job_id = ? ORDER BY id").bind(1, jobID).rows(readRun)
        }
    }

    /// The experiment's live run, if it has one.
    public func liveRun(experimentID: Int64) throws(StoreError) -> RunRecord? {
        try reading { c in
            try c.statement("SELECT \(Self.runColumns) FROM runs WHERE experiment_id = ? AND status = 'live'")
                .bind(1, experimentID).rows(readRun).first
        }
    }

    /// Each day's mean viewing time of a run, day 1 first.
    public func dailyMeans(runID: Int64) throws(StoreError) -> [Double] {
        try reading { c in
            try c.statement("SELECT mean_viewing_time FROM days WHERE run_id = ? ORDER BY day").bind(1, runID).rows { $0.double(0) }
        }
    }

    /// The latest checkpoint of a run.
    public func latestCheckpoint(runID: Int64, world: World) throws(StoreError) -> RunCheckpoint {
        try reading { c in try readLatestCheckpoint(c, runID: runID, world: world) }
    }

    private func readLatestCheckpoint(_ c: Connection, runID: Int64, world: World) throws -> RunCheckpoint {
        let rows = try c.statement("""
            SELECT \(Self.checkpointColumns) FROM checkpoints WHERE run_id = ? ORDER BY sequence DESC LIMIT 1
            """).bind(1, runID).rows { try readCheckpoint($0, runID: runID, world: world) }
        guard let checkpoint = rows.first else { throw StoreError.corrupt(path: path, detail: "run \(runID) has no checkpoint") }
        return checkpoint
    }

    /// A checkpoint row (`checkpointColumns`), checked against the world's shape.
    private func readCheckpoint(_ s: Statement, runID: Int64, world: World) throws -> RunCheckpoint {
        guard let (members, coefficients) = CoefficientsBlob.decode(s.blob("coefficients"), actions: world.actions,
                                                                    features: world.features)
        else { throw StoreError.corrupt(path: path, detail: "checkpoint of run \(runID)") }
        return RunCheckpoint(daysPlayed: s.int("days_played"), fits: s.int("fits"), members: members, coefficients: coefficients,
                             generator: try GeneratorBlob.decodeGenerator(s.blob("generator")),
                             fittedDecisions: s.optionalInt64("fitted_decisions").map(Int.init),
                             bagKey: UInt64(bitPattern: s.int64("bag_key")))
    }

    /// Every checkpoint a run keeps, oldest first, as (days played, fits, coefficients).
    public func checkpoints(runID: Int64, world: World) throws(StoreError) -> [RunCheckpoint] {
        try reading { c in
            try c.statement("SELECT \(Self.checkpointColumns) FROM checkpoints WHERE run_id = ? ORDER BY sequence")
                .bind(1, runID).rows { try readCheckpoint($0, runID: runID, world: world) }
        }
    }

    /// A run with its latest checkpoint, its days and all its decisions: enough to continue it.
    public func loadRun(id: Int64, world: World) throws(StoreError) -> StoredRun {
        try reading { c in
            guard let record = try c.statement("SELECT \(Self.runColumns) FROM runs WHERE id = ?").bind(1, id).rows(readRun).first
            else { throw StoreError.noSuchRun(id) }
            let checkpoint = try readLatestCheckpoint(c, runID: id, world: world)
            let days = try c.statement("SELECT \(Self.dayColumns) FROM days WHERE run_id = ? ORDER BY day")
                .bind(1, id).rows(Self.readDay)
            var history = [[Decision]](repeating: [], count: checkpoint.daysPlayed)
            let decisions = try c.statement("""
                SELECT \(Self.decisionColumns) FROM decisions WHERE run_id = ? AND day <= ? ORDER BY day, idx
                """)
            decisions.bind(1, id).bind(2, checkpoint.daysPlayed)
            defer { decisions.reset() }
            let columns = DecisionColumns(decisions)
            while try decisions.step() {
                let (day, decision) = columns.read(decisions)
                history[day - 1].append(decision)
            }
            guard days.count == checkpoint.daysPlayed else {
                throw StoreError.corrupt(path: path, detail: "run \(id): \(days.count) days but a checkpoint after \(checkpoint.daysPlayed)")
            }
            return StoredRun(record: record, checkpoint: checkpoint, days: days, history: history)
        }
    }

    /// A run's decisions on days 1...`days`, day by day in logged order (a day with none is empty),
    /// without its checkpoints: what off-policy evaluation reads of a finished run or an imported log.
    public func decisions(runID: Int64, days: Int) throws(StoreError) -> [[Decision]] {
        try reading { c in
            var history = [[Decision]](repeating: [], count: days)
            let query = try c.statement("SELECT \(Self.decisionColumns) FROM decisions WHERE run_id = ? ORDER BY day, idx")
            query.bind(1, runID)
            defer { query.reset() }
            let columns = DecisionColumns(query)
            while try query.step() {
                let (day, decision) = columns.read(query)
                guard (1...days).contains(day) else {
                    throw StoreError.corrupt(path: path, detail: "run \(runID): a decision on day \(day) of \(days)")
                }
                history[day - 1].append(decision)
            }
            return history
        }
    }

    /// A run as `stats` shows it, from its per-day rows and its latest checkpoint: never a scan of
    /// its decisions (except once for picks checkpointed before schema version 2).
    public func summary(of run: RunRecord, world: World) throws(StoreError) -> RunSummary {
        try reading { c in
            let totals = try c.statement("SELECT count(*) AS days, coalesce(sum(decisions), 0) AS decisions FROM days WHERE run_id = ?")
                .bind(1, run.id).rows { ($0.int("days"), $0.int("decisions")) }.first ?? (0, 0)
            let latest = try c.statement("SELECT fits, picks FROM checkpoints WHERE run_id = ? ORDER BY sequence DESC LIMIT 1")
                .bind(1, run.id).rows { ($0.int("fits"), $0.optionalBlob("picks")) }.first
            var picks: [Int]
            if let blob = latest?.1 {
                guard let decoded = CountsBlob.decode(blob, count: world.actions) else {
                    throw StoreError.corrupt(path: path, detail: "picks of run \(run.id)")
                }
                picks = decoded
            } else {
                picks = Array(repeating: 0, count: world.actions)
                for (action, count) in try c.statement("SELECT action, count(*) AS count FROM decisions WHERE run_id = ? GROUP BY action")
                    .bind(1, run.id).rows({ ($0.int("action"), $0.int("count")) }) where action < world.actions {
                    picks[action] = count
                }
            }
            return RunSummary(record: run, days: totals.0, decisions: totals.1, fits: latest?.0 ?? 0, picks: picks)
        }
    }

    /// A run's days from `first` on, in order.
    public func days(runID: Int64, from first: Int = 1) throws(StoreError) -> [DaySummary] {
        try reading { c in
            try c.statement("SELECT \(Self.dayColumns) FROM days WHERE run_id = ? AND day >= ? ORDER BY day")
                .bind(1, runID).bind(2, first).rows(Self.readDay)
        }
    }

    private static func readDay(_ s: Statement) -> DaySummary {
        DaySummary(day: s.int("day"), decisions: s.int("decisions"), meanViewingTime: s.double("mean_viewing_time"),
                   regret: s.double("regret"))
    }

    /// A run's days 1...`last` in bins of `width` consecutive days: each bin's decisions, and its
    /// mean viewing time and regret per decision.
    public func dayBins(runID: Int64, through last: Int, width: Int) throws(StoreError) -> [DayBin] {
        precondition(width >= 1)
        return try reading { c in
            try c.statement("""
                SELECT min(day) AS first_day, max(day) AS last_day, sum(decisions) AS decisions,
                       sum(mean_viewing_time * decisions) / sum(decisions) AS mean_viewing_time,
                       sum(regret * decisions) / sum(decisions) AS regret
                FROM days WHERE run_id = ? AND day <= ? GROUP BY (day - 1) / ? ORDER BY 1
                """).bind(1, runID).bind(2, last).bind(3, width).rows {
                DayBin(firstDay: $0.int("first_day"), lastDay: $0.int("last_day"), decisions: $0.int("decisions"),
                       meanViewingTime: $0.double("mean_viewing_time"), regret: $0.double("regret"))
            }
        }
    }

    /// The last `limit` decisions of a run, oldest first, with their day.
    public func recentDecisions(runID: Int64, limit: Int) throws(StoreError) -> [(day: Int, decision: Decision)] {
        try reading { c in
            let recent = try c.statement("""
                SELECT \(Self.decisionColumns) FROM decisions WHERE run_id = ? ORDER BY day DESC, idx DESC LIMIT ?
                """)
            let columns = DecisionColumns(recent)
            return try recent.bind(1, runID).bind(2, limit).rows { columns.read($0) }.reversed()
        }
    }

    /// A decision row's columns (`decisionColumns`), looked up by name once per query instead of once
    /// per row: a run's decisions are read in bulk (`loadRun`, `log` of up to a million).
    struct DecisionColumns {
        let day, context, action, propensity, viewingTime: Int32

        init(_ s: Statement) {
            (day, context, action) = (s.column("day"), s.column("context"), s.column("action"))
            (propensity, viewingTime) = (s.column("propensity"), s.column("viewing_time"))
        }

        func read(_ s: Statement) -> (day: Int, decision: Decision) {
            (s.int(day), Decision(context: UInt64(bitPattern: s.int64(context)), action: s.int(action),
                                  propensity: s.double(propensity), viewingTime: s.double(viewingTime)))
        }
    }
}
