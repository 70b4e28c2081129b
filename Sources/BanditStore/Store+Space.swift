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
