// A small typed wrapper of the SQLite C API: a connection, prepared statements, transactions.

import CSQLite

/// An error reported by SQLite, with its primary result code and message.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public let message: String

    /// SQLITE_FULL: the disk (or the configured page limit) is full.
    public var isFull: Bool { code & 0xff == SQLITE_FULL }
    public var isNotADatabase: Bool { code & 0xff == SQLITE_NOTADB }
    public var isReadOnly: Bool { code & 0xff == SQLITE_READONLY }
    public var isIOError: Bool { code & 0xff == SQLITE_IOERR || code & 0xff == SQLITE_CANTOPEN }
    /// SQLITE_CORRUPT: a page of the file (or of its `-wal`) is not what SQLite wrote there.
    public var isCorrupt: Bool { code & 0xff == SQLITE_CORRUPT }

    public var description: String { message }
}

/// One connection to a database file, with its cache of prepared statements. Not thread-safe: the
/// store lends each connection to one thread at a time.
final class Connection {
    private(set) var handle: OpaquePointer?
    /// Prepared statements by their SQL text, kept for the connection's life.
    private var statements: [String: Statement] = [:]

    init(path: String, readOnly: Bool = false) throws(SQLiteError) {
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        var db: OpaquePointer?
        let code = sqlite3_open_v2(path, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_close_v2(db)
            throw SQLiteError(code: code, message: message)
        }
        handle = db
        sqlite3_busy_timeout(db, 2000)
    }

    deinit { close() }

    /// Closes the connection, finalising its cached statements first.
    func close() {
        statements.removeAll()
        guard let handle else { return }
        sqlite3_close_v2(handle)
        self.handle = nil
    }

    var isReadOnly: Bool { sqlite3_db_readonly(handle, "main") == 1 }

    /// From now on, when this is the last connection to close, SQLite leaves the `-wal` file as it
    /// is instead of copying its pages into the database file (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE).
    func keepWALOnClose() {
        // The call fails only for an option SQLite does not know, and this one is in every version
        // since 3.16, whose header this code is compiled against: there is no failure to report.
        _ = bandit_sqlite_no_checkpoint_on_close(handle)
    }

    func error(_ code: Int32) -> SQLiteError {
        SQLiteError(code: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)))
    }

    /// Runs one or more statements that return no rows.
    func execute(_ sql: String) throws(SQLiteError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        if code != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_free(message)
            throw SQLiteError(code: sqlite3_extended_errcode(handle), message: text)
        }
    }

    func prepare(_ sql: String) throws(SQLiteError) -> Statement {
        try Statement(connection: self, sql: sql)
    }

    /// A prepared statement from the cache, prepared on first use.
    func statement(_ sql: String) throws(SQLiteError) -> Statement {
        if let cached = statements[sql] { return cached }
        let prepared = try prepare(sql)
        statements[sql] = prepared
        return prepared
    }

    /// The single integer a query returns (e.g. a PRAGMA), or nil when it returns no row.
    func integer(_ sql: String) throws(SQLiteError) -> Int64? {
        let statement = try prepare(sql)
        return try statement.step() ? statement.int64(0) : nil
    }

    /// Runs `body` in one write transaction: committed when it returns, rolled back when it throws.
    /// The one implementation: the store's writes and its migrations both go through it. BEGIN,
    /// COMMIT and ROLLBACK are cached statements like the rest (a day commits hundreds a second).
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try statement("BEGIN IMMEDIATE").run()
        do {
            let value = try body()
            try statement("COMMIT").run()
            return value
        } catch {
            // SQLite has already rolled back after some errors (a full disk): nothing is left to undo.
            guard inTransaction else { throw error }
            do {
                try statement("ROLLBACK").run()
            } catch let rollback {
                throw RollbackFailed(error: error, rollback: rollback)
            }
            throw error
        }
    }

    /// Inside a transaction (SQLite ends one by itself on some errors, such as a full disk).
    var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    var changes: Int { Int(sqlite3_changes64(handle)) }
    /// Rows inserted, updated or deleted since the connection opened.
    var totalChanges: Int { Int(sqlite3_total_changes64(handle)) }
    /// Pages this connection has written to the database or its `-wal` since it opened.
    var pagesWritten: Int {
        var current: Int32 = 0, highest: Int32 = 0
        // Fails only for a status code SQLite does not know; this one is in every version since 3.8.7.
        guard sqlite3_db_status(handle, SQLITE_DBSTATUS_CACHE_WRITE, &current, &highest, 0) == SQLITE_OK else { return 0 }
        return Int(current)
    }
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
}

/// A transaction's body failed, then so did its rollback: both are reported, neither is dropped.
struct RollbackFailed: Error {
    let error: any Error
    let rollback: SQLiteError
}

/// A prepared statement. Bind by 1-based index, step, read columns by name (or by 0-based index), reset.
final class Statement {
    private let connection: Connection
    private var handle: OpaquePointer?
    /// Result columns by name, the leftmost of a repeated name, built once after prepare: statements
    /// are cached, so a row's read by name costs a dictionary lookup per column and no more.
    private let columns: [String: Int32]

    init(connection: Connection, sql: String) throws(SQLiteError) {
        self.connection = connection
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else { throw connection.error(code) }
        handle = statement
        var columns: [String: Int32] = [:]
        for index in 0..<sqlite3_column_count(statement) {
            guard let name = sqlite3_column_name(statement, index) else { continue }
            let key = String(cString: name)
            if columns[key] == nil { columns[key] = index }
        }
        self.columns = columns
    }

    deinit { sqlite3_finalize(handle) }

    @discardableResult
    func bind(_ index: Int32, _ value: Int64) -> Statement {
        sqlite3_bind_int64(handle, index, value)
        return self
    }

    @discardableResult
    func bind(_ index: Int32, _ value: Int) -> Statement { bind(index, Int64(value)) }

    @discardableResult
    func bind(_ index: Int32, _ value: Double) -> Statement {
        sqlite3_bind_double(handle, index, value)
        return self
    }

    @discardableResult
    func bind(_ index: Int32, _ value: String) -> Statement {
        sqlite3_bind_text(handle, index, value, -1, bandit_sqlite_transient())
        return self
    }

    @discardableResult
    func bind(_ index: Int32, _ value: [UInt8]) -> Statement {
        value.withUnsafeBytes { bytes in
            _ = sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), bandit_sqlite_transient())
        }
        return self
    }

    @discardableResult
    func bindNull(_ index: Int32) -> Statement {
        sqlite3_bind_null(handle, index)
        return self
    }

    /// Binds each value in order from index 1.
    @discardableResult
    func bind(_ values: [Bindable?]) -> Statement {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            if let value { value.bind(to: self, at: index) } else { bindNull(index) }
        }
        return self
    }

    /// Advances: true when a row is available, false when done.
    func step() throws(SQLiteError) -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code:
            sqlite3_reset(handle)
            throw connection.error(code)
        }
    }

    /// Runs a statement that returns no rows, then resets it for reuse.
    func run() throws(SQLiteError) {
        defer { reset() }
        _ = try step()
    }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    var columnCount: Int32 { sqlite3_column_count(handle) }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }
    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func string(_ column: Int32) -> String {
        guard let text = sqlite3_column_text(handle, column) else { return "" }
        return String(cString: text)
    }

    func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let bytes = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    /// The index of the result column `name` (its `AS` name, or its bare name in the table). A name
    /// the query does not select is a mistake in the store's code, as an index out of range would be.
    func column(_ name: String) -> Int32 {
        guard let index = columns[name] else {
            preconditionFailure("no column '\(name)' in \(String(cString: sqlite3_sql(handle)))")
        }
        return index
    }

    func int64(_ name: String) -> Int64 { int64(column(name)) }
    func int(_ name: String) -> Int { int(column(name)) }
    func double(_ name: String) -> Double { double(column(name)) }
    func string(_ name: String) -> String { string(column(name)) }
    func blob(_ name: String) -> [UInt8] { blob(column(name)) }
    func isNull(_ name: String) -> Bool { isNull(column(name)) }

    /// nil for NULL.
    func optionalInt64(_ name: String) -> Int64? {
        let index = column(name)
        return isNull(index) ? nil : int64(index)
    }

    /// nil for NULL.
    func optionalDouble(_ name: String) -> Double? {
        let index = column(name)
        return isNull(index) ? nil : double(index)
    }

    /// nil for NULL.
    func optionalString(_ name: String) -> String? {
        let index = column(name)
        return isNull(index) ? nil : string(index)
    }

    /// nil for NULL.
    func optionalBlob(_ name: String) -> [UInt8]? {
        let index = column(name)
        return isNull(index) ? nil : blob(index)
    }

    /// All rows, each read by `row`, then reset.
    func rows<T>(_ row: (Statement) throws -> T) throws -> [T] {
        defer { reset() }
        var result: [T] = []
        while try step() { result.append(try row(self)) }
        return result
    }
}

/// A value that can be bound to a statement parameter.
protocol Bindable {
    func bind(to statement: Statement, at index: Int32)
}

extension Int: Bindable { func bind(to s: Statement, at i: Int32) { s.bind(i, self) } }
extension Int64: Bindable { func bind(to s: Statement, at i: Int32) { s.bind(i, self) } }
extension Double: Bindable { func bind(to s: Statement, at i: Int32) { s.bind(i, self) } }
extension String: Bindable { func bind(to s: Statement, at i: Int32) { s.bind(i, self) } }
extension Array: Bindable where Element == UInt8 { func bind(to s: Statement, at i: Int32) { s.bind(i, self) } }
