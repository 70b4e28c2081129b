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
    /// Runs `PRAGMA quick_check` before opening an existing file for writing, and refuses a damaged
    /// one. It reads every page: seconds per GB (README, "State on disk", has the figure).
    public var checksOnOpen: Bool

    public init(synchronous: Synchronous = .normal, maximumPages: Int? = nil, checksOnOpen: Bool = true) {
        self.synchronous = synchronous
        self.maximumPages = maximumPages
        self.checksOnOpen = checksOnOpen
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
/// `Store+Runs.swift` (runs, days, decisions, checkpoints), `Store+Jobs.swift`, `Store+Results.swift`;
/// `Store+Integrity.swift` holds the checks that find a damaged file and what the store does then.
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
    /// Whether this store knows the file sound: its quick check passed at open, or it was skipped
    /// because the file was as a sound store had left it (`checkStamp`). Owned by `lock`; only then
    /// does closing leave a new stamp.
    private var verified = false
    /// Whether the quick check ran when the store opened (set once, by `open`).
    private(set) var checkedAtOpen = false
    /// Idle read-only connections, owned by `readersLock`. A read borrows one for a single read
    /// transaction, so reads see committed state only and never wait for a writer (WAL).
    private var idleReaders: [Connection] = []
    private var readersClosed = false
    private let readersLock = NSLock()
    /// What SQLite said when it first found the file damaged (SQLITE_CORRUPT, or SQLITE_NOTADB once
    /// open) on any connection, or what a check found; owned by `damageLock`. Never cleared: from
    /// then on no write is attempted, and only a recovered file, opened anew, is written again.
    var damage: String?
    let damageLock = NSLock()

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

    /// Closes the database (SQLite checkpoints and removes the `-wal` file, unless the file is
    /// damaged) and releases the lock.
    public func close() {
        // Readers first: SQLite removes the `-wal` file when the last connection closes.
        readersLock.withLock {
            readersClosed = true
            for reader in idleReaders { retire(reader) }
            idleReaders.removeAll()
        }
        lock.lock()
        defer { lock.unlock() }
        decisionInserts.removeAll()
        if let connection {
            retire(connection)
            leaveCheckStamp()
        }
        connection = nil
        releaseLock()
    }

    /// Closes one of the store's connections. Once the file is damaged, the last connection to
    /// close must not checkpoint, which would copy the `-wal`'s pages into the damaged file: a
    /// `-wal` holding pages stays beside it for recovery (an empty one goes, as usual).
    private func retire(_ connection: Connection) {
        var wal = stat()
        if damageDetail != nil && stat(path + "-wal", &wal) == 0 && wal.st_size > 0 { connection.keepWALOnClose() }
        connection.close()
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
        // It holds the owner's pid: 0600 like the database, whatever the umask or an older bandit made.
        var info = stat()
        if fstat(fd, &info) == 0, info.st_uid == geteuid(), info.st_mode & 0o777 != 0o600, fchmod(fd, 0o600) != 0 {
            let detail = "cannot make it private to its owner (0600): \(String(cString: strerror(errno)))"
            Foundation.close(fd)
            throw .cannotOpen(path: lockPath, detail: detail)
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
        // Before SQLite opens the file: closing a descriptor of a file drops every POSIX lock this
        // process holds on it, SQLite's included, which would let another process checkpoint and
        // reset the -wal under this store.
        // A file as this program left it when it last closed it, sound, needs no check (`checkStamp`).
        let unchanged = exists && options.checksOnOpen && isAsLeft()
        if exists && options.checksOnOpen && !unchanged { readAhead(path) }
        // 0600 whatever the umask: SQLite gives the `-wal` and `-shm` it creates the database's mode.
        if !exists { try createPrivately(path) }
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
            // Ours: damaged pages are found before anything is written into the file, not by a later write.
            if options.checksOnOpen && !empty && !unchanged {
                let problems = try Self.problems(connection, pragma: "quick_check")
                checkedAtOpen = true
                if !problems.isEmpty {
                    markDamaged("PRAGMA quick_check: \(problems[0])")
                    throw StoreError.damagedOnOpen(path: path, problems: problems, more: problems.count >= Self.problemLimit)
                }
            }
            verified = options.checksOnOpen
            if connection.isReadOnly { throw StoreError.readOnly(path: path) }
            // A new file frees the pages of a `drop` incrementally (`reclaimSpace`); the mode can only
            // be chosen before the first table exists. Older files change mode at a full VACUUM.
            // A new file holds nothing a crash could lose: its first writes (the header, the switch to
            // WAL) skip the fsyncs of a rollback journal, eight of the twelve a creation cost; the
            // configured `synchronous` applies from the schema on.
            if empty { try connection.execute("PRAGMA synchronous=OFF; PRAGMA auto_vacuum=INCREMENTAL") }
            _ = try connection.integer("PRAGMA journal_mode=WAL")
            // Ours, and the `-wal` and `-shm` exist now: files of older versions may be wider than 0600.
            for file in [path, path + "-wal", path + "-shm"] { try makePrivate(file) }
            // secure_delete=FAST: Debian builds SQLite with secure deletion on, which zeroes every page a
            // pruned checkpoint frees: nine extra WAL pages per Thompson-sampling day for data that is
            // not secret. FAST still zeroes what costs no extra I/O.
            // journal_size_limit: a big transaction (a drop, a VACUUM) grows the `-wal` to its size, and
            // SQLite keeps that size for reuse; cut back to 64 MB once checkpointed, it returns the space.
            try connection.execute(
                "PRAGMA foreign_keys=ON; PRAGMA secure_delete=FAST; PRAGMA synchronous=\(options.synchronous.rawValue); "
                + "PRAGMA journal_size_limit=\(Self.walSizeLimit)")
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
            retire(connection)
            self.connection = nil
            throw error
        } catch {
            // SQLite itself may find the damage first (reading the schema, say): the same refusal.
            var failure = translate(error)
            if case .damaged(_, let detail) = failure {
                markDamaged(detail)
                failure = .damagedOnOpen(path: path, problems: [detail], more: false)
            }
            retire(connection)
            self.connection = nil
            throw failure
        }
    }

    // MARK: The check's stamp

    /// `bandit.db.checked`: the database file's device, inode, size, modification and change times
    /// as a store that knew it sound left it when it closed. While the file still has exactly these
    /// (and no `-wal` holds pages), nothing has written to it since, so the quick check at open, which
    /// reads the whole file (about 9 s per GB), is skipped. Any write by any program changes the
    /// change time, which no program can set back. As git does for its index, a stamp written within
    /// the same clock tick as the file's last change proves nothing (a write in that tick would not
    /// show): the file is checked then, and the stamp left at that close is good.
    private var checkStamp: String { path + ".checked" }

    /// The database file's identity and times, as the stamp records them, with its change time.
    private func fileStamp() -> (text: String, changed: timespec)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let text = "\(info.st_dev) \(info.st_ino) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) "
            + "\(info.st_ctim.tv_sec).\(info.st_ctim.tv_nsec)\n"
        return (text, info.st_ctim)
    }

    /// Whether the database is as a store that knew it sound left it (see `checkStamp`).
    private func isAsLeft() -> Bool {
        var wal = stat(), stamp = stat()
        if stat(path + "-wal", &wal) == 0 && wal.st_size > 0 { return false }
        guard let current = fileStamp(), stat(checkStamp, &stamp) == 0,
              let recorded = FileManager.default.contents(atPath: checkStamp) else { return false }
        let written = stamp.st_mtim, changed = current.changed
        let settled = changed.tv_sec < written.tv_sec || (changed.tv_sec == written.tv_sec && changed.tv_nsec < written.tv_nsec)
        return settled && String(decoding: recorded, as: UTF8.self) == current.text
    }

    /// At a clean close of a file this store knew sound: the stamp of the file as it is left. A
    /// damaged file, or one never checked, loses its stamp, so the next open checks it. A stamp that
    /// cannot be written costs only that check, so its failure is not reported.
    private func leaveCheckStamp() {
        var wal = stat()
        let clean = verified && damageDetail == nil && !(stat(path + "-wal", &wal) == 0 && wal.st_size > 0)
        guard clean, let current = fileStamp() else {
            unlink(checkStamp)
            return
        }
        let fd = Foundation.open(checkStamp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        let bytes = Array(current.text.utf8)
        let written = write(fd, bytes, bytes.count)
        Foundation.close(fd)
        if written != bytes.count { unlink(checkStamp) }
    }

    /// Reads a file from start to end into the page cache when it fits there with room to spare.
    /// A check visits pages in key order, scattered over the file: read cold, that costs 23 s per GB
    /// here, against 9 s after one sequential read (README, "State on disk"). Never call it while
    /// SQLite has the file open in this process (see `open`).
    private func readAhead(_ file: String) {
        let fd = Foundation.open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }  // SQLite reports what keeps the file from being read.
        defer { Foundation.close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, UInt64(info.st_size) < ProcessInfo.processInfo.physicalMemory / 4 else { return }
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        while read(fd, buffer, chunk) > 0 {}
    }

    // MARK: Permissions

    /// Creates an empty database file readable and writable by its owner only (SQLite takes an
    /// empty file for a new database). Before SQLite opens it: see `readAhead` for why.
    private func createPrivately(_ file: String) throws(StoreError) {
        let fd = Foundation.open(file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        // Another process made it meanwhile: it is opened as any existing file is.
        guard fd >= 0 || errno != EEXIST else { return }
        guard fd >= 0 else { throw .cannotOpen(path: file, detail: String(cString: strerror(errno))) }
        defer { Foundation.close(fd) }
        // The umask may have taken the owner's bits too.
        guard fchmod(fd, 0o600) == 0 else { throw .cannotOpen(path: file, detail: String(cString: strerror(errno))) }
    }

    /// Narrows a file of this user's that others may read or write to 0600; a missing file, or
    /// another user's (which this user cannot change), is left as it is. No descriptor is opened.
    private func makePrivate(_ file: String) throws(StoreError) {
        var info = stat()
        guard stat(file, &info) == 0, info.st_uid == geteuid(), info.st_mode & 0o077 != 0 else { return }
        guard chmod(file, 0o600) == 0 else {
            throw .cannotOpen(path: file, detail: "cannot make it private to its owner (0600): \(String(cString: strerror(errno)))")
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
        if error.isCorrupt { return .damaged(path: path, detail: error.message) }
        return .database(path: path, detail: error.message)
    }

    /// Runs `body` under the store's lock with the writing connection, translating errors. Refused
    /// before anything touches the file once the file is known to be damaged.
    func locked<T>(_ body: (Connection) throws -> T) throws(StoreError) -> T {
        lock.lock()
        defer { lock.unlock() }
        guard let connection else { throw .closed(path: path) }
        if let damage = damageDetail { throw .damaged(path: path, detail: damage) }
        do {
            return try body(connection)
        } catch {
            throw failure(error)
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
    /// With `fresh`, the connection is a new one, whose cache holds no page read before.
    func reading<T>(fresh: Bool = false, _ body: (Connection) throws -> T) throws(StoreError) -> T {
        let reader = try borrowReader(fresh: fresh)
        // A reader whose transaction did not end cleanly is closed, not lent again.
        var reusable = false
        defer { reusable ? giveBack(reader) : retire(reader) }
        do {
            try reader.statement("BEGIN").run()
            let result = Result { try body(reader) }
            do {
                try reader.statement("COMMIT").run()
                reusable = true
            } catch {
                // A read that met damaged pages (a check) may fail to end: what it read stands, and
                // the damage is noted.
                guard case .success = result, let damage = Self.damageReport(in: error) else { throw error }
                markDamaged(damage.message)
            }
            return try result.get()
        } catch {
            // Reads go on after damage, each as far as the pages it needs are sound.
            throw failure(error)
        }
    }

    private func borrowReader(fresh: Bool) throws(StoreError) -> Connection {
        let idle: Connection?? = readersLock.withLock { readersClosed ? nil : .some(fresh ? nil : idleReaders.popLast()) }
        guard let idle else { throw .closed(path: path) }
        if let idle { return idle }
        do {
            let reader = try Connection(path: path)
            try reader.execute("PRAGMA query_only=ON")
            return reader
        } catch {
            throw failure(error)
        }
    }

    private func giveBack(_ reader: Connection) {
        let keep = readersLock.withLock {
            guard !readersClosed else { return false }
            idleReaders.append(reader)
            return true
        }
        if !keep { retire(reader) }
    }

    // MARK: Maintenance

    /// What the write connection has written since the store opened: rows changed, and pages written
    /// to the `-wal` (SQLite's own counts). What `make bench` reports of a job's commits.
    public func writeCounts() throws(StoreError) -> (rows: Int, pages: Int) {
        try locked { connection in (connection.totalChanges, connection.pagesWritten) }
    }

    /// Rows of a read-only query as text, for diagnostics and tests.
    public func sql(_ query: String) throws(StoreError) -> [[String]] {
        try reading { c in
            let statement = try c.prepare(query)
            return try statement.rows { s in (0..<s.columnCount).map { s.isNull($0) ? "NULL" : s.string($0) } }
        }
    }

}
