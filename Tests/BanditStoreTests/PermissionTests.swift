// The store's files are its user's alone: 0600 whatever the umask, and narrowed when found wider.

@testable import BanditStore
import BanditCore
import Foundation
import BanditTestSupport
import Testing

/// A file's permission bits, or nil when there is no such file.
func mode(_ path: String) -> mode_t? {
    var info = stat()
    return stat(path, &info) == 0 ? info.st_mode & 0o777 : nil
}

/// Runs `body` under the umask `mask`, then puts the process's umask back. The umask is the
/// process's: only a mask the tests run under anyway (022) keeps parallel tests unaffected.
func withUmask<T>(_ mask: mode_t, _ body: () throws -> T) rethrows -> T {
    let previous = umask(mask)
    defer { umask(previous) }
    return try body()
}

@Suite("File permissions")
struct PermissionTests {
    static let files = ["bandit.db", "bandit.db-wal", "bandit.db-shm", "bandit.db.lock"]

    @Test("a new store's database, -wal, -shm and lock file are 0600 under umask 022")
    func newStore() throws {
        let directory = temporaryDirectory()
        try withUmask(0o022) {
            let store = try Store(directory: directory)
            defer { store.close() }
            _ = try makeExperiment(store, kind: .default)
            for file in Self.files { #expect(mode(directory + "/" + file) == 0o600, "\(file)") }
        }
    }

    @Test("an existing store's files that others may read (an older bandit's) are narrowed to 0600 when it opens")
    func existingStore() throws {
        let directory = temporaryDirectory(), path = directory + "/bandit.db"
        try Store(directory: directory).close()
        chmod(path, 0o644)
        chmod(path + ".lock", 0o666)
        try withUmask(0o022) {
            // Another connection keeps the -wal and -shm, which SQLite made with the database's mode.
            let other = try Connection(path: path)
            defer { other.close() }
            #expect(try other.integer("SELECT count(*) FROM experiments") == 0)
            #expect(mode(path + "-wal") == 0o644 && mode(path + "-shm") == 0o644)
            let store = try Store(directory: directory)
            defer { store.close() }
            for file in Self.files { #expect(mode(directory + "/" + file) == 0o600, "\(file)") }
        }
    }

    @Test("a refused file keeps its mode: a refusal changes nothing")
    func refusedKeepsMode() throws {
        let directory = temporaryDirectory(), path = directory + "/bandit.db"
        let other = try Connection(path: path)
        try other.execute("CREATE TABLE accounts (id INTEGER)")
        other.close()
        chmod(path, 0o644)
        #expect(throws: StoreError.notBandit(path: path)) { try Store(directory: directory) }
        #expect(mode(path) == 0o644)
    }
}
