// Integrity: the checks that find a damaged file (quick_check as it opens, integrity_check on
// demand), and the store's answer once SQLite or a check has found damage: no more writes.

import Foundation

extension Store {
    /// Why the file is known to be damaged, or nil: every write is refused once it is set.
    public var damageDetail: String? { damageLock.withLock { damage } }

    /// Remembers the first sign of damage; later ones add nothing the user can act on.
    func markDamaged(_ detail: String) {
        damageLock.withLock { if damage == nil { damage = detail } }
    }

    /// A statement's error as the store reports it, once the file is open: SQLite finding pages it
    /// cannot read (SQLITE_CORRUPT, or SQLITE_NOTADB for a damaged header) marks the store damaged.
    func failure(_ error: any Error) -> StoreError {
        guard let sqlite = Self.damageReport(in: error) else { return translate(error) }
        markDamaged(sqlite.message)
        return .damaged(path: path, detail: sqlite.message)
    }

    /// The SQLite error in `error` that says the file is damaged, if any (a rollback's too).
    static func damageReport(in error: any Error) -> SQLiteError? {
        if let failed = error as? RollbackFailed { return damageReport(in: failed.error) ?? damageReport(in: failed.rollback) }
        guard let error = error as? SQLiteError, error.isCorrupt || error.isNotADatabase else { return nil }
        return error
    }

    /// Problems a `PRAGMA quick_check` or `integrity_check` reports, at most `problemLimit`; none when
    /// it says "ok". A row may hold several lines, and the heading (`*** in database main ***`) is not
    /// a problem.
    static func problems(_ connection: Connection, pragma: String) throws -> [String] {
        let statement = try connection.prepare("PRAGMA \(pragma)(\(problemLimit))")
        var lines: [String] = []
        do {
            while try statement.step() { lines += statement.string(0).split(separator: "\n").map(String.init) }
        } catch {
            // The check lists what it found, then meets damage it cannot walk past: both are findings.
            guard error.isCorrupt, !lines.isEmpty else { throw error }
            lines.append("the check stopped there: \(error.message)")
        }
        return lines == ["ok"] ? [] : lines.filter { !$0.hasPrefix("*** in database") }
    }

    /// Problems a check lists at most: past the first few, more tell the user nothing more to do.
    static let problemLimit = 10

    /// `PRAGMA integrity_check`: "ok" when the file is sound, else its problems in one line.
    public func integrityCheck() throws(StoreError) -> String {
        let report = try checkIntegrity()
        return report.isSound ? "ok" : report.problems.joined(separator: "; ")
    }

    /// `PRAGMA integrity_check` in one read transaction (writers go on meanwhile), with the size of
    /// what it read. Problems found mark the store damaged, as SQLite's own reports of them do. A new
    /// connection reads the file: a pooled one's cache could hold pages as they were before damage.
    public func checkIntegrity() throws(StoreError) -> IntegrityReport {
        let report = try reading(fresh: true) { c in
            IntegrityReport(problems: try Self.problems(c, pragma: "integrity_check"), limit: Self.problemLimit,
                            pages: Int(try c.integer("PRAGMA page_count") ?? 0), pageSize: Int(try c.integer("PRAGMA page_size") ?? 0))
        }
        if let first = report.problems.first { markDamaged("PRAGMA integrity_check: \(first)") }
        return report
    }
}

/// What `PRAGMA integrity_check` found in a store, and how much it read.
public struct IntegrityReport: Sendable, Equatable {
    /// Its first problems; none when the file is sound.
    public var problems: [String]
    /// The check stopped at its limit: there may be more problems than those listed.
    public var more: Bool
    public var pages: Int
    public var pageSize: Int

    init(problems: [String], limit: Int, pages: Int, pageSize: Int) {
        self.problems = problems
        more = problems.count >= limit
        self.pages = pages
        self.pageSize = pageSize
    }

    public var isSound: Bool { problems.isEmpty }
    public var bytes: Int { pages * pageSize }
}
