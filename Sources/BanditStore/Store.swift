// The store: opening its SQLite file (lock file, migrations) and the plumbing each table family goes through.

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

    public init(synchronous: Synchronous = .normal, maximumPages: Int? = nil) {
        self.synchronous = synchronous
        self.maximumPages = maximumPages
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
///
/// One file per table family holds its records' SQL and readers: `Store+Experiments.swift`,
/// `Store+Runs.swift` (runs, days, decisions, checkpoints), `Store+Jobs.swift`, `Store+Results.swift`.
public final class Store: @unchecked Sendable {
    public static let databaseName = "bandit.db"
    public static let schemaVersion = Schema.version

    public let directory: String
    public let path: String
    public let options: StoreOptions

    /// The one connection that writes, with everything below it, owned by `lock`: every write
    /// (a command's effects, a job's commit thread) takes it for one transaction.
    private var connection: Connection?
    /// Multi-row decision inserts by their number of rows: statements of `connection`, owned by `lock`
    /// like it (filled by `Store+Runs.swift`).
    var decisionInserts: [Int: Statement] = [:]
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
            // Read before writing anything: a file that is not ours must stay untouched (not even
            // switched to WAL), whatever its user_version says.
            let version = Int(try connection.integer("PRAGMA user_version") ?? 0)
            let application = try connection.integer("PRAGMA application_id") ?? 0
            let empty = (try connection.integer("SELECT count(*) FROM sqlite_master") ?? 0) == 0
            guard application == Schema.applicationID || application == 0, version >= 0 else { throw StoreError.notBandit(path: path) }
            if version > Schema.version { throw StoreError.newerSchema(path: path, found: version, supported: Schema.version) }
            if version == 0 && !empty { throw StoreError.notBandit(path: path) }
            if version > 0, application == 0, try !Schema.hasSignature(connection) { throw StoreError.notBandit(path: path) }
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
            if application == 0 { try connection.execute("PRAGMA application_id=\(Schema.applicationID)") }
            try Self.markLostJobs(connection)
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

    /// Jobs still marked running lost their process. Each is interrupted, to be resumed, unless the
    /// process died while it ran `JobRecord.crashLimit` times in a row without completing a day in
    /// between (a job that needs more than the machine has would otherwise kill every daemon that
    /// resumes it): that one is failed with the reason, and only an explicit `resume J` retries it.
    private static func markLostJobs(_ connection: Connection) throws {
        try connection.transaction { try connection.execute(lostJobs) }
    }

    private static let lostJobs = """
            UPDATE jobs SET crashes = CASE WHEN days_done > days_at_start THEN 1 ELSE crashes + 1 END WHERE state = 'running';
            UPDATE jobs SET state = 'failed', updated_at = \(now),
                message = 'the process died ' || crashes || ' times in a row while this job ran, without completing a day: '
                    || 'it is not resumed automatically; ''resume ' || id || ''' retries it'
            WHERE state = 'running' AND crashes >= \(JobRecord.crashLimit);
            UPDATE jobs SET state = 'interrupted', updated_at = \(now) WHERE state = 'running';
            """

    // MARK: Plumbing
    // Internal rather than private: the table families' extensions (`Store+….swift`) go through it.

    func translate(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let failed = error as? RollbackFailed {
            return .database(path: path, detail: "\(translate(failed.error)); then the rollback failed: \(failed.rollback)")
        }
        guard let error = error as? SQLiteError else { return .database(path: path, detail: "\(error)") }
        if error.isFull { return .full(path: path) }
        if error.isNotADatabase { return .notADatabase(path: path) }
        if error.isReadOnly { return .readOnly(path: path) }
        if error.isIOError { return .io(path: path, detail: error.message) }
        if error.code & 0xff == SQLITE_CORRUPT { return .corrupt(path: path, detail: error.message) }
        return .database(path: path, detail: error.message)
    }

    /// Runs `body` under the store's lock with the writing connection, translating errors.
    func locked<T>(_ body: (Connection) throws -> T) throws(StoreError) -> T {
        lock.lock()
        defer { lock.unlock() }
        guard let connection else { throw .closed(path: path) }
        do {
            return try body(connection)
        } catch {
            throw translate(error)
        }
    }

    /// Like `locked`, inside one transaction (`Connection.transaction`): committed when `body`
    /// returns, rolled back when it throws.
    func transaction<T>(_ body: (Connection) throws -> T) throws(StoreError) -> T {
        try locked { connection in try connection.transaction { try body(connection) } }
    }

    /// A cached statement of the writing connection (callers hold the lock).
    func statement(_ sql: String) throws -> Statement {
        guard let connection else { throw StoreError.closed(path: path) }
        return try connection.statement(sql)
    }

    /// Runs `body` with a read-only connection of its own inside one read transaction: it sees the
    /// state of the last commit before it began, whatever commits meanwhile, and waits for no writer.
    func reading<T>(_ body: (Connection) throws -> T) throws(StoreError) -> T {
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
