// Room: the file system's free space and the largest value SQLite stores, for the resource budget.

import CSQLite
import Foundation

extension Store {
    /// Bytes free for this user on the file system that holds the store.
    public func freeSpace() throws(StoreError) -> Int {
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else {
            throw StoreError.io(path: directory, detail: String(cString: strerror(errno)))
        }
        let free = Double(info.f_bavail) * Double(info.f_frsize)
        return free >= Double(Int.max) ? Int.max : Int(free)
    }

    /// The longest string or blob the write connection stores (SQLITE_LIMIT_LENGTH).
    public func largestValue() throws(StoreError) -> Int {
        try locked { connection in Int(sqlite3_limit(connection.handle, SQLITE_LIMIT_LENGTH, -1)) }
    }
}

/// What `reclaimSpace` gave back to the file system, and what it left free inside the file.
public struct ReclaimedSpace: Sendable, Equatable {
    /// Bytes the file shrank by.
    public var freed: Int
    /// Bytes left free inside the file (reused by new data): a store made before incremental
    /// vacuum, while a job runs.
    public var keptInside: Int
    /// The file was rebuilt by a full VACUUM, once, and now frees space incrementally.
    public var compacted: Bool
}

extension Store {
    /// The `-wal` is cut back to this once checkpointed (see `open`).
    static let walSizeLimit = 64 << 20

    /// Pages freed per write transaction by `reclaimSpace`: the store's lock is let go between
    /// chunks, so that other jobs commit their days meanwhile. 4096 pages (16 MB) take tens of
    /// milliseconds, shorter than a day of a large job.
    static let reclaimChunk = 4096

    /// Whether the file frees its free pages incrementally (`PRAGMA auto_vacuum=INCREMENTAL`, every
    /// file made since it was set); false for older files, which need a full VACUUM once.
    public func reclaimsIncrementally() throws(StoreError) -> Bool {
        try locked { connection in try connection.integer("PRAGMA auto_vacuum") == 2 }
    }

    /// Gives the file's free pages back to the file system (after a `drop`). Incremental files free
    /// them in chunks of `reclaimChunk` pages, each in a write transaction of its own; reads go on
    /// meanwhile (WAL), and so do other jobs' commits, between chunks. An older file is rebuilt by
    /// VACUUM, which switches it to incremental mode: only with `mayCompact` (no job runs: VACUUM
    /// holds the write lock until it is done, a minute per few GB); otherwise the free pages stay
    /// inside the file, where new data reuses them. Then checkpoints, so that the file shrinks now.
    public func reclaimSpace(mayCompact: Bool) throws(StoreError) -> ReclaimedSpace {
        let (pageSize, incremental) = try locked { c in
            (Int(try c.integer("PRAGMA page_size") ?? 4096), try c.integer("PRAGMA auto_vacuum") == 2)
        }
        var freedPages = 0, compacted = false
        if incremental {
            var done = false
            while !done {
                freedPages += try locked { c in
                    let free = Int(try c.integer("PRAGMA freelist_count") ?? 0)
                    done = free <= Self.reclaimChunk
                    guard free > 0 else { return 0 }
                    let before = Int(try c.integer("PRAGMA page_count") ?? 0)
                    // Each page freed is a row of the pragma: execute steps it to the end.
                    try c.execute("PRAGMA incremental_vacuum(\(Self.reclaimChunk))")
                    return before - Int(try c.integer("PRAGMA page_count") ?? 0)
                }
            }
        } else {
            let free = try locked { c in Int(try c.integer("PRAGMA freelist_count") ?? 0) }
            guard mayCompact, free > 0 else { return ReclaimedSpace(freed: 0, keptInside: free * pageSize, compacted: false) }
            freedPages = try locked { c in
                let before = Int(try c.integer("PRAGMA page_count") ?? 0)
                try c.execute("PRAGMA auto_vacuum=INCREMENTAL; VACUUM")
                return before - Int(try c.integer("PRAGMA page_count") ?? 0)
            }
            compacted = true
        }
        try checkpoint()
        return ReclaimedSpace(freed: max(0, freedPages) * pageSize, keptInside: 0, compacted: compacted)
    }

    /// Copies the `-wal` into the file and truncates both: SQLite shortens the database file only
    /// once every frame is copied. A reader in the middle of a read may keep that from completing
    /// (after the 2 s busy timeout); the next automatic checkpoint then finishes the job.
    func checkpoint() throws(StoreError) {
        try locked { c in _ = try c.integer("PRAGMA wal_checkpoint(TRUNCATE)") }
    }
}
