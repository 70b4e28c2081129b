// The store: one SQLite file per state directory holding experiments, logs, checkpoints, results, jobs.

import BanditCore
import CSQLite
import Foundation

/// How the store opens its database.
public struct StoreOptions: Sendable {
    /// `normal` survives a crash of the process (SIGKILL) without losing a committed day; `full`
    /// also survives a power cut, at a cost in speed.
    public enum Synchronous: String, Sendable { case normal = "NORMAL", full = "FULL" }

    public var synchronous: Synchronous
    /// Caps the database's size in pages (tests use it to make the disk look full).
    public var maximumPages: Int?
    /// Keep every checkpoint of job runs too (by default only their latest is kept).
    public var keepAllCheckpoints: Bool

    public init(synchronous: Synchronous = .normal, maximumPages: Int? = nil, keepAllCheckpoints: Bool = false) {
        self.synchronous = synchronous
        self.maximumPages = maximumPages
        self.keepAllCheckpoints = keepAllCheckpoints
    }
}

/// The only code that touches SQLite. Every public method is atomic and thread-safe: writes happen in
/// one transaction each, and a failed write rolls back, leaving the store usable.
///
/// A live run shares its experiment's generator: committing the live run's days or checkpoints also
/// stores the experiment's generator state.
///
/// Retention of checkpoints: the latest checkpoint of every run is always kept; a live run keeps all
/// of its checkpoints (so its coefficients can be inspected day by day); a job's runs and finished
/// runs keep only their latest.
public final class Store: @unchecked Sendable {
    public static let databaseName = "bandit.db"
    public static let schemaVersion = Schema.version

    public let directory: String
    public let path: String
    public let options: StoreOptions

    /// The one connection that writes, with everything below it, owned by `lock`: every write
    /// (a command's effects, a job's commit thread) takes it for one transaction.
    private var connection: Connection?
    /// Multi-row decision inserts by their number of rows (statements of `connection`).
    private var decisionInserts: [Int: Statement] = [:]
    private let lock = NSLock()
    private var lockFile: Int32 = -1
    /// Idle read-only connections, owned by `readersLock`. A read borrows one for a single read
    /// transaction, so reads see committed state only and never wait for a writer (WAL).
    private var idleReaders: [Connection] = []
    private var readersClosed = false
    private let readersLock = NSLock()

    /// Opens (creating if needed) the store of a state directory and takes its exclusive lock.
    public init(directory: String, options: StoreOptions = StoreOptions()) throws(StoreError) {
        self.directory = directory
        self.path = (directory as NSString).appendingPathComponent(Self.databaseName)
        self.options = options
        try acquireLock()
        do {
            try open()
        } catch {
            releaseLock()
            throw error
        }
    }

    deinit { close() }

    /// Closes the database (SQLite checkpoints and removes the `-wal` file) and releases the lock.
    public func close() {
        // Readers first: SQLite removes the `-wal` file when the last connection closes.
        readersLock.withLock {
            readersClosed = true
            for reader in idleReaders { reader.close() }
            idleReaders.removeAll()
        }
        lock.lock()
        defer { lock.unlock() }
        decisionInserts.removeAll()
        connection?.close()
        connection = nil
        releaseLock()
    }

    // MARK: Opening

    private var lockPath: String { path + ".lock" }

    private func acquireLock() throws(StoreError) {
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard mkdir(directory, 0o700) == 0 || errno == EEXIST else {
                throw errno == EACCES || errno == EROFS
                    ? .readOnly(path: directory) : .cannotOpen(path: directory, detail: String(cString: strerror(errno)))
            }
        } else if !isDirectory.boolValue {
            throw .cannotOpen(path: directory, detail: "not a directory")
        }
        let fd = Foundation.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw errno == EACCES || errno == EROFS
                ? .readOnly(path: directory) : .cannotOpen(path: lockPath, detail: String(cString: strerror(errno)))
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(fd, &buffer, buffer.count, 0)
            Foundation.close(fd)
            let pid = String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw .inUse(path: path, holder: pid.isEmpty ? "lock held on \(lockPath)" : "pid \(pid)")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
        lockFile = fd
    }

    private func releaseLock() {
        guard lockFile >= 0 else { return }
        _ = ftruncate(lockFile, 0)
        flock(lockFile, LOCK_UN)
        Foundation.close(lockFile)
        lockFile = -1
    }

    private func open() throws(StoreError) {
        let exists = FileManager.default.fileExists(atPath: path)
        if exists && access(path, W_OK) != 0 { throw .readOnly(path: path) }
        if access(directory, W_OK) != 0 { throw .readOnly(path: directory) }
        let connection: Connection
        do {
            connection = try Connection(path: path)
        } catch {
            throw translate(error)
        }
        self.connection = connection
        do {
            // Read before writing anything: a file that is not ours must stay untouched.
            let version = Int(try connection.integer("PRAGMA user_version") ?? 0)
            if version > Schema.version { throw StoreError.newerSchema(path: path, found: version, supported: Schema.version) }
            if version == 0, (try connection.integer("SELECT count(*) FROM sqlite_master") ?? 0) > 0 {
                throw StoreError.notBandit(path: path)
            }
            if connection.isReadOnly { throw StoreError.readOnly(path: path) }
            _ = try connection.integer("PRAGMA journal_mode=WAL")
            // secure_delete=FAST: Debian builds SQLite with secure deletion on, which zeroes every page a
            // pruned checkpoint frees: nine extra WAL pages per Thompson-sampling day for data that is
            // not secret. FAST still zeroes what costs no extra I/O.
            try connection.execute(
                "PRAGMA foreign_keys=ON; PRAGMA secure_delete=FAST; PRAGMA synchronous=\(options.synchronous.rawValue)")
            if let pages = options.maximumPages { _ = try connection.integer("PRAGMA max_page_count=\(pages)") }
            for next in version..<Schema.version {
                try connection.transaction {
                    try connection.execute(Schema.migrations[next])
                    try connection.execute("PRAGMA user_version=\(next + 1)")
                }
            }
            // Jobs still marked running lost their process: they are interrupted, to be resumed.
            try connection.execute("UPDATE jobs SET state = 'interrupted', updated_at = \(Self.now) WHERE state = 'running'")
        } catch let error as StoreError {
            connection.close()
            self.connection = nil
            throw error
        } catch {
            connection.close()
            self.connection = nil
            throw translate(error)
        }
    }

    static let now = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"

    // MARK: Plumbing

    private func translate(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? SQLiteError else { return .database(path: path, detail: "\(error)") }
        if error.isFull { return .full(path: path) }
        if error.isNotADatabase { return .notADatabase(path: path) }
        if error.isReadOnly { return .readOnly(path: path) }
        if error.isIOError { return .io(path: path, detail: error.message) }
        if error.code & 0xff == SQLITE_CORRUPT { return .corrupt(path: path, detail: error.message) }
        return .database(path: path, detail: error.message)
    }

    /// Runs `body` under the store's lock with the writing connection, translating errors.
    private func locked<T>(_ body: (Connection) throws -> T) throws(StoreError) -> T {
        lock.lock()
        defer { lock.unlock() }
        guard let connection else { throw .closed(path: path) }
        do {
            return try body(connection)
        } catch {
            throw translate(error)
        }
    }

    /// Like `locked`, inside one transaction: committed when `body` returns, rolled back when it
    /// throws. BEGIN and COMMIT are cached statements like the rest (a day commits hundreds a second).
    private func transaction<T>(_ body: (Connection) throws -> T) throws(StoreError) -> T {
        try locked { connection in
            try connection.statement("BEGIN IMMEDIATE").run()
            do {
                let value = try body(connection)
                try connection.statement("COMMIT").run()
                return value
            } catch {
                // SQLite has already rolled back after some errors (a full disk): nothing is left to undo.
                if connection.inTransaction {
                    do {
                        try connection.statement("ROLLBACK").run()
                    } catch let rollback {
                        throw StoreError.database(path: path, detail: "\(translate(error)); then the rollback failed: \(rollback)")
                    }
                }
                throw error
            }
        }
    }

    /// A cached statement of the writing connection (callers hold the lock).
    private func statement(_ sql: String) throws -> Statement {
        guard let connection else { throw StoreError.closed(path: path) }
        return try connection.statement(sql)
    }

    /// Runs `body` with a read-only connection of its own inside one read transaction: it sees the
    /// state of the last commit before it began, whatever commits meanwhile, and waits for no writer.
    private func reading<T>(_ body: (Connection) throws -> T) throws(StoreError) -> T {
        let reader = try borrowReader()
        // A reader whose transaction did not end cleanly is closed, not lent again.
        var reusable = false
        defer { reusable ? giveBack(reader) : reader.close() }
        do {
            try reader.statement("BEGIN").run()
            let result = Result { try body(reader) }
            try reader.statement("COMMIT").run()
            reusable = true
            return try result.get()
        } catch {
            throw translate(error)
        }
    }

    private func borrowReader() throws(StoreError) -> Connection {
        let idle: Connection?? = readersLock.withLock { readersClosed ? nil : .some(idleReaders.popLast()) }
        guard let idle else { throw .closed(path: path) }
        if let idle { return idle }
        do {
            let reader = try Connection(path: path)
            try reader.execute("PRAGMA query_only=ON")
            return reader
        } catch {
            throw translate(error)
        }
    }

    private func giveBack(_ reader: Connection) {
        let keep = readersLock.withLock {
            guard !readersClosed else { return false }
            idleReaders.append(reader)
            return true
        }
        if !keep { reader.close() }
    }

    // MARK: Experiments

    private static let experimentColumns =
        "id, name, seed, generator_state, features, actions, noise, weights, decisions_per_day, days, runs, policy"

    private func readExperiment(_ s: Statement) throws -> ExperimentRecord {
        let state = try GeneratorState(encoded: s.blob(3))
        var world: World?
        if !s.isNull(4) {
            guard let weights = DoublesBlob.decode(s.blob(7)) else { throw StoreError.corrupt(path: path, detail: "weights") }
            world = try World(features: s.int(4), actions: s.int(5), noise: s.double(6), weights: weights)
        }
        return ExperimentRecord(
            id: s.int64(0), name: s.string(1), seed: UInt32(truncatingIfNeeded: s.int64(2)),
            generator: try Generator(state: state), world: world,
            schedule: Schedule(decisionsPerDay: s.int(8), days: s.int(9), runs: s.int(10)),
            policy: try Policy(label: s.string(11)))
    }

    /// Creates an experiment with a freshly seeded generator, no world yet, default settings.
    public func createExperiment(name: String, kind: GeneratorKind, seed: UInt32) throws(StoreError) -> ExperimentRecord {
        try transaction { _ in
            if try statement("SELECT 1 FROM experiments WHERE name = ?").bind(1, name).rows({ _ in 1 }).count > 0 {
                throw StoreError.experimentExists(name)
            }
            let generator = Generator(kind: kind, seed: seed)
            let insert = try statement("INSERT INTO experiments (name, generator, seed, generator_state) VALUES (?, ?, ?, ?)")
            try insert.bind([name, kind.rawValue, Int64(seed), generator.state.encoded()]).run()
            let id = connection!.lastInsertRowID
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
                return ExperimentSummary(experiment: record, daysLogged: days, results: labels)
            }
        }
    }

    /// Writes an experiment's mutable fields: generator, world, settings, live policy, seed; with
    /// `retiringLiveRun`, also retires its live run, in the same transaction.
    public func save(_ experiment: ExperimentRecord, retiringLiveRun: Bool = false) throws(StoreError) {
        try transaction { _ in
            try writeExperiment(experiment)
            if retiringLiveRun { try retireLiveRuns(experimentID: experiment.id) }
        }
    }

    /// Saves an experiment with a new world: its live run is retired, the results obtained on the
    /// previous world are removed, and its unfinished jobs can no longer be resumed (their runs
    /// belong to the old world), all in one transaction.
    public func replaceWorld(_ experiment: ExperimentRecord) throws(StoreError) {
        try transaction { _ in
            try writeExperiment(experiment)
            try retireLiveRuns(experimentID: experiment.id)
            try statement("DELETE FROM results WHERE experiment_id = ?").bind(1, experiment.id).run()
            try statement("""
                UPDATE jobs SET state = 'failed', message = 'the world was replaced', updated_at = \(Self.now)
                WHERE experiment_id = ? AND state IN ('running', 'interrupted', 'cancelled')
                """).bind(1, experiment.id).run()
        }
    }

    private func writeExperiment(_ experiment: ExperimentRecord) throws {
        let update = try statement("""
            UPDATE experiments SET seed = ?, generator_state = ?, features = ?, actions = ?, noise = ?, weights = ?,
                decisions_per_day = ?, days = ?, runs = ?, policy = ? WHERE id = ?
            """)
        let world = experiment.world
        try update.bind([
            Int64(experiment.seed), experiment.generator.state.encoded(), world?.features, world?.actions, world?.noise,
            world.map { DoublesBlob.encode($0.weights) }, experiment.schedule.decisionsPerDay, experiment.schedule.days,
            experiment.schedule.runs, experiment.policy.label, experiment.id,
        ]).run()
        if connection!.changes == 0 { throw StoreError.noSuchExperiment(experiment.name) }
    }

    private func retireLiveRuns(experimentID: Int64) throws {
        // Unfinished `day` and `step` jobs played the retiring run: nothing is left for them to continue.
        try statement("""
            UPDATE jobs SET state = 'failed', message = 'the live run was replaced', updated_at = \(Self.now)
            WHERE experiment_id = ? AND kind IN ('day', 'step') AND state IN ('running', 'interrupted', 'cancelled')
            """).bind(1, experimentID).run()
        let live = try statement("SELECT id FROM runs WHERE experiment_id = ? AND status = 'live'").bind(1, experimentID).rows { $0.int64(0) }
        for id in live {
            try statement("UPDATE runs SET status = 'retired' WHERE id = ?").bind(1, id).run()
            let last = try nextCheckpointSequence(runID: id) - 1
            if !options.keepAllCheckpoints { try pruneCheckpoints(runID: id, keepingFrom: last) }
        }
    }

    /// Deletes an experiment and everything it holds.
    public func dropExperiment(named name: String) throws(StoreError) {
        try transaction { connection in
            try statement("DELETE FROM experiments WHERE name = ?").bind(1, name).run()
            if connection.changes == 0 { throw StoreError.noSuchExperiment(name) }
        }
    }

    // MARK: Runs

    private static let runColumns = "id, experiment_id, job_id, policy, ordinal, status, days_played"

    private func readRun(_ s: Statement) throws -> RunRecord {
        RunRecord(id: s.int64(0), experimentID: s.int64(1), jobID: s.isNull(2) ? nil : s.int64(2),
                  policy: try Policy(label: s.string(3)), ordinal: s.int(4),
                  status: RunStatus(rawValue: s.string(5)) ?? .finished, daysPlayed: s.int(6))
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
            INSERT INTO checkpoints (run_id, sequence, days_played, fits, coefficients, generator, picks) VALUES (?, ?, ?, ?, ?, ?, ?)
            """).bind([runID, sequence, checkpoint.daysPlayed, checkpoint.fits, blob, checkpoint.generator.state.encoded(),
                       picks.map(CountsBlob.encode)]).run()
    }

    private func nextCheckpointSequence(runID: Int64) throws -> Int {
        try statement("SELECT coalesce(max(sequence), -1) + 1 FROM checkpoints WHERE run_id = ?").bind(1, runID)
            .rows { $0.int(0) }.first ?? 0
    }

    private func pruneCheckpoints(runID: Int64, keepingFrom sequence: Int) throws {
        try statement("DELETE FROM checkpoints WHERE run_id = ? AND sequence < ?").bind(1, runID).bind(2, sequence).run()
    }

    /// Commits one day atomically: its decisions, its summary, the checkpoint taken after it (and after
    /// the fit that follows, when there is one), the run's progress and, for a job, the job's.
    /// `picks`, a live run's picks per post so far, goes with the checkpoint (for `stats`).
    public func commitDay(
        run: RunRecord, summary: DaySummary, decisions: [Decision], checkpoint: RunCheckpoint, world: World,
        picks: [Int]? = nil, jobDaysDone: Int? = nil, jobID: Int64? = nil
    ) throws(StoreError) {
        try transaction { _ in
            try insertDecisions(runID: run.id, day: summary.day, decisions)
            try statement("INSERT INTO days (run_id, day, decisions, mean_viewing_time, regret) VALUES (?, ?, ?, ?, ?)")
                .bind([run.id, summary.day, summary.decisions, summary.meanViewingTime, summary.regret]).run()
            try recordCheckpoint(run: run, checkpoint, world: world, picks: picks)
            if let done = jobDaysDone, let job = jobID ?? run.jobID {
                try statement("UPDATE jobs SET days_done = ?, updated_at = \(Self.now) WHERE id = ?").bind(1, done).bind(2, job).run()
            }
        }
    }

    /// Rows per INSERT statement: one statement step inserts a whole block of a day's decisions.
    static let decisionsPerStatement = 100

    /// A day's decisions, `decisionsPerStatement` rows per step of a multi-row INSERT whose run and
    /// day are the shared parameters ?1 and ?2 (callers hold the lock, inside a transaction).
    private func insertDecisions(runID: Int64, day: Int, _ decisions: [Decision]) throws {
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
        } else if !options.keepAllCheckpoints {
            try pruneCheckpoints(runID: run.id, keepingFrom: sequence)
        }
        try statement("UPDATE runs SET days_played = ? WHERE id = ?").bind(1, checkpoint.daysPlayed).bind(2, run.id).run()
    }

    /// A live run draws from its experiment's generator: the experiment's state moves with it, in the
    /// same transaction as the run's checkpoint.
    private func shareGenerator(experimentID: Int64, _ generator: Generator) throws {
        try statement("UPDATE experiments SET generator_state = ? WHERE id = ?")
            .bind(1, generator.state.encoded()).bind(2, experimentID).run()
    }

    /// Marks a run finished (or a live run retired) and keeps only its latest checkpoint.
    public func endRun(_ run: RunRecord, status: RunStatus = .finished) throws(StoreError) {
        try transaction { _ in
            try statement("UPDATE runs SET status = ? WHERE id = ?").bind(1, status.rawValue).bind(2, run.id).run()
            let last = try nextCheckpointSequence(runID: run.id) - 1
            if !options.keepAllCheckpoints { try pruneCheckpoints(runID: run.id, keepingFrom: last) }
        }
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
            SELECT days_played, fits, coefficients, generator FROM checkpoints WHERE run_id = ? ORDER BY sequence DESC LIMIT 1
            """).bind(1, runID).rows { try readCheckpoint($0, runID: runID, world: world) }
        guard let checkpoint = rows.first else { throw StoreError.corrupt(path: path, detail: "run \(runID) has no checkpoint") }
        return checkpoint
    }

    /// A checkpoint row (days_played, fits, coefficients, generator), checked against the world's shape.
    private func readCheckpoint(_ s: Statement, runID: Int64, world: World) throws -> RunCheckpoint {
        guard let (members, coefficients) = CoefficientsBlob.decode(s.blob(2), actions: world.actions, features: world.features)
        else { throw StoreError.corrupt(path: path, detail: "checkpoint of run \(runID)") }
        return RunCheckpoint(daysPlayed: s.int(0), fits: s.int(1), members: members, coefficients: coefficients,
                             generator: try Generator(state: GeneratorState(encoded: s.blob(3))))
    }

    /// Every checkpoint a run keeps, oldest first, as (days played, fits, coefficients).
    public func checkpoints(runID: Int64, world: World) throws(StoreError) -> [RunCheckpoint] {
        try reading { c in
            try c.statement("SELECT days_played, fits, coefficients, generator FROM checkpoints WHERE run_id = ? ORDER BY sequence")
                .bind(1, runID).rows { try readCheckpoint($0, runID: runID, world: world) }
        }
    }

    /// A run with its latest checkpoint, its days and all its decisions: enough to continue it.
    public func loadRun(id: Int64, world: World) throws(StoreError) -> StoredRun {
        try reading { c in
            guard let record = try c.statement("SELECT \(Self.runColumns) FROM runs WHERE id = ?").bind(1, id).rows(readRun).first
            else { throw StoreError.noSuchRun(id) }
            let checkpoint = try readLatestCheckpoint(c, runID: id, world: world)
            let days = try c.statement("SELECT day, decisions, mean_viewing_time, regret FROM days WHERE run_id = ? ORDER BY day")
                .bind(1, id).rows(Self.readDay)
            var history = [[Decision]](repeating: [], count: checkpoint.daysPlayed)
            let decisions = try c.statement("""
                SELECT day, context, action, propensity, viewing_time FROM decisions
                WHERE run_id = ? AND day <= ? ORDER BY day, idx
                """)
            decisions.bind(1, id).bind(2, checkpoint.daysPlayed)
            defer { decisions.reset() }
            while try decisions.step() {
                history[decisions.int(0) - 1].append(Decision(
                    context: UInt64(bitPattern: decisions.int64(1)), action: decisions.int(2),
                    propensity: decisions.double(3), viewingTime: decisions.double(4)))
            }
            guard days.count == checkpoint.daysPlayed else {
                throw StoreError.corrupt(path: path, detail: "run \(id): \(days.count) days but a checkpoint after \(checkpoint.daysPlayed)")
            }
            return StoredRun(record: record, checkpoint: checkpoint, days: days, history: history)
        }
    }

    /// A run as `stats` shows it, from its per-day rows and its latest checkpoint: never a scan of
    /// its decisions (except once for picks checkpointed before schema version 2).
    public func summary(of run: RunRecord, world: World) throws(StoreError) -> RunSummary {
        try reading { c in
            let totals = try c.statement("SELECT count(*), coalesce(sum(decisions), 0) FROM days WHERE run_id = ?")
                .bind(1, run.id).rows { ($0.int(0), $0.int(1)) }.first ?? (0, 0)
            let latest = try c.statement("SELECT fits, picks FROM checkpoints WHERE run_id = ? ORDER BY sequence DESC LIMIT 1")
                .bind(1, run.id).rows { ($0.int(0), $0.isNull(1) ? nil : $0.blob(1)) }.first
            var picks: [Int]
            if let blob = latest?.1 {
                guard let decoded = CountsBlob.decode(blob, count: world.actions) else {
                    throw StoreError.corrupt(path: path, detail: "picks of run \(run.id)")
                }
                picks = decoded
            } else {
                picks = Array(repeating: 0, count: world.actions)
                for (action, count) in try c.statement("SELECT action, count(*) FROM decisions WHERE run_id = ? GROUP BY action")
                    .bind(1, run.id).rows({ ($0.int(0), $0.int(1)) }) where action < world.actions {
                    picks[action] = count
                }
            }
            return RunSummary(record: run, days: totals.0, decisions: totals.1, fits: latest?.0 ?? 0, picks: picks)
        }
    }

    /// A run's days from `first` on, in order.
    public func days(runID: Int64, from first: Int = 1) throws(StoreError) -> [DaySummary] {
        try reading { c in
            try c.statement("SELECT day, decisions, mean_viewing_time, regret FROM days WHERE run_id = ? AND day >= ? ORDER BY day")
                .bind(1, runID).bind(2, first).rows(Self.readDay)
        }
    }

    private static func readDay(_ s: Statement) -> DaySummary {
        DaySummary(day: s.int(0), decisions: s.int(1), meanViewingTime: s.double(2), regret: s.double(3))
    }

    /// A run's days 1...`last` in bins of `width` consecutive days: each bin's decisions, and its
    /// mean viewing time and regret per decision.
    public func dayBins(runID: Int64, through last: Int, width: Int) throws(StoreError) -> [DayBin] {
        precondition(width >= 1)
        return try reading { c in
            try c.statement("""
                SELECT min(day), max(day), sum(decisions), sum(mean_viewing_time * decisions) / sum(decisions),
                       sum(regret * decisions) / sum(decisions)
                FROM days WHERE run_id = ? AND day <= ? GROUP BY (day - 1) / ? ORDER BY 1
                """).bind(1, runID).bind(2, last).bind(3, width).rows {
                DayBin(firstDay: $0.int(0), lastDay: $0.int(1), decisions: $0.int(2), meanViewingTime: $0.double(3), regret: $0.double(4))
            }
        }
    }

    /// The last `limit` decisions of a run, oldest first, with their day.
    public func recentDecisions(runID: Int64, limit: Int) throws(StoreError) -> [(day: Int, decision: Decision)] {
        try reading { c in
            try c.statement("""
                SELECT day, context, action, propensity, viewing_time FROM decisions WHERE run_id = ?
                ORDER BY day DESC, idx DESC LIMIT ?
                """).bind(1, runID).bind(2, limit).rows { s in
                (s.int(0), Decision(context: UInt64(bitPattern: s.int64(1)), action: s.int(2), propensity: s.double(3),
                                    viewingTime: s.double(4)))
            }.reversed()
        }
    }

    // MARK: Jobs

    private static let jobColumns =
        "id, experiment_id, command, policies, runs, days, decisions_per_day, start_generator, state, days_done, days_total, resumed, message, kind, live_run_id"

    private func readJob(_ s: Statement) throws -> JobRecord {
        JobRecord(
            id: s.int64(0), experimentID: s.int64(1), command: s.string(2),
            kind: JobKind(rawValue: s.string(13)) ?? .runs, liveRunID: s.isNull(14) ? nil : s.int64(14),
            policies: try s.string(3).split(separator: " ").map { try Policy(label: String($0)) },
            schedule: Schedule(decisionsPerDay: s.int(6), days: s.int(5), runs: s.int(4)),
            startGenerator: try Generator(state: GeneratorState(encoded: s.blob(7))),
            state: JobState(rawValue: s.string(8)) ?? .failed, daysDone: s.int(9), daysTotal: s.int(10),
            resumed: s.int(11), message: s.isNull(12) ? nil : s.string(12))
    }

    /// Records a job about to run: R runs × D days for each policy, from the given generator.
    public func createJob(
        experimentID: Int64, command: String, policies: [Policy], schedule: Schedule, startGenerator: Generator,
        kind: JobKind = .runs, liveRunID: Int64? = nil
    ) throws(StoreError) -> JobRecord {
        try transaction { connection in
            let total = policies.count * schedule.runs * schedule.days
            try statement("""
                INSERT INTO jobs (experiment_id, command, kind, live_run_id, policies, runs, days, decisions_per_day,
                                  start_generator, state, days_total)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)
                """).bind([
                    experimentID, command, kind.rawValue, liveRunID, policies.map(\.label).joined(separator: " "), schedule.runs,
                    schedule.days, schedule.decisionsPerDay, startGenerator.state.encoded(), total,
                ]).run()
            return JobRecord(id: connection.lastInsertRowID, experimentID: experimentID, command: command, kind: kind,
                             liveRunID: liveRunID, policies: policies, schedule: schedule, startGenerator: startGenerator,
                             state: .running, daysDone: 0, daysTotal: total, resumed: 0, message: nil)
        }
    }

    /// Marks a job of the live run (`day`, `step`) finished.
    public func finishLiveJob(_ id: Int64) throws(StoreError) {
        try transaction { _ in
            try statement("UPDATE jobs SET state = 'finished', days_done = days_total, message = NULL, updated_at = \(Self.now) WHERE id = ?")
                .bind(1, id).run()
        }
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

    /// Sets a job's state (and message); `resuming` also counts a resumption.
    public func setJobState(id: Int64, _ state: JobState, message: String? = nil, resuming: Bool = false) throws(StoreError) {
        try transaction { connection in
            try statement("""
                UPDATE jobs SET state = ?, message = ?, resumed = resumed + ?, updated_at = \(Self.now) WHERE id = ?
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
                .bind(1, experimentGenerator.state.encoded()).bind(2, job.experimentID)
                .bind(3, job.startGenerator.state.encoded()).run()
            try statement("UPDATE jobs SET state = 'finished', days_done = days_total, message = NULL, updated_at = \(Self.now) WHERE id = ?")
                .bind(1, job.id).run()
        }
    }

    // MARK: Results

    private func writeResult(experimentID: Int64, curve: Curve, schedule: Schedule, jobID: Int64?) throws {
        try statement("DELETE FROM results WHERE experiment_id = ? AND policy = ?").bind(1, experimentID).bind(2, curve.label).run()
        try statement("INSERT INTO results (experiment_id, policy, runs, days, decisions_per_day, job_id) VALUES (?, ?, ?, ?, ?, ?)")
            .bind([experimentID, curve.label, curve.runs, curve.mean.count, schedule.decisionsPerDay, jobID]).run()
        let day = try statement("INSERT INTO result_days (experiment_id, policy, day, mean, se) VALUES (?, ?, ?, ?, ?)")
        for index in curve.mean.indices {
            try day.bind([experimentID, curve.label, index + 1, curve.mean[index], curve.standardError[index]]).run()
        }
    }

    /// Stores a curve under its policy label, replacing an earlier one with the same label.
    public func saveResult(experimentID: Int64, curve: Curve, schedule: Schedule, jobID: Int64? = nil) throws(StoreError) {
        try transaction { _ in try writeResult(experimentID: experimentID, curve: curve, schedule: schedule, jobID: jobID) }
    }

    /// The experiment's stored results, oldest first.
    public func results(experimentID: Int64) throws(StoreError) -> [StoredResult] {
        try reading { c in
            let heads = try c.statement("""
                SELECT policy, runs, days, decisions_per_day, job_id FROM results WHERE experiment_id = ? ORDER BY created_at, rowid
                """).bind(1, experimentID).rows { s in
                (s.string(0), s.int(1), Schedule(decisionsPerDay: s.int(3), days: s.int(2), runs: s.int(1)), s.isNull(4) ? nil : s.int64(4))
            }
            return try heads.map { label, runs, schedule, job in
                let points = try c.statement("SELECT mean, se FROM result_days WHERE experiment_id = ? AND policy = ? ORDER BY day")
                    .bind(1, experimentID).bind(2, label).rows { ($0.double(0), $0.double(1)) }
                return StoredResult(curve: Curve(label: label, runs: runs, mean: points.map(\.0), standardError: points.map(\.1)),
                                    schedule: schedule, jobID: job)
            }
        }
    }

    // MARK: Maintenance

    /// Rows of a read-only query as text, for diagnostics and tests.
    public func sql(_ query: String) throws(StoreError) -> [[String]] {
        try reading { c in
            let statement = try c.prepare(query)
            return try statement.rows { s in (0..<s.columnCount).map { s.isNull($0) ? "NULL" : s.string($0) } }
        }
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    public func integrityCheck() throws(StoreError) -> String {
        try reading { c in try c.prepare("PRAGMA integrity_check").rows { $0.string(0) }.joined(separator: "; ") }
    }
}
