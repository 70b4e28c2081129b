// drop gives the space back: the file shrinks by what the experiment held, and the reply says how much.

@testable import BanditCommands
import BanditStore
import BanditTestSupport
import Foundation
import Testing

/// The bytes the store takes on disk: the database and its `-wal`.
private func onDisk(_ directory: String) -> Int {
    [Store.databaseName, Store.databaseName + "-wal"].reduce(0) { total, name in
        let size = (try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int) ?? nil
        return total + (size ?? 0)
    }
}

/// The bytes a reply says were freed ("…, 8.2 MB freed").
private func freed(in reply: String) -> Double? {
    guard let match = reply.firstMatch(of: /, ([0-9.]+) (bytes|KB|MB|GB) freed/), let value = Double(match.output.1) else { return nil }
    return value * ["bytes": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9][String(match.output.2)]!
}

/// What an experiment holds, as rows: its runs' days and decisions, and its results.
private func holdings(_ session: Session, _ name: String) throws -> [[String]] {
    try session.workspace.store.sql("""
        SELECT (SELECT count(*) FROM decisions c JOIN runs r ON r.id = c.run_id JOIN experiments e ON e.id = r.experiment_id WHERE e.name = '\(name)'),
               (SELECT sum(viewing_time) FROM decisions c JOIN runs r ON r.id = c.run_id JOIN experiments e ON e.id = r.experiment_id WHERE e.name = '\(name)'),
               (SELECT group_concat(mean, ',') FROM result_curves WHERE experiment = '\(name)')
        """)
}

@Suite("space", .serialized)
struct SpaceTests {
    @Test("drop of 300,000 decisions shrinks the file by most of what they took and says how much; the others' data stays")
    func dropFreesSpace() throws {
        let directory = temporaryDirectory()
        let session = try makeSession(directory)
        defer { session.workspace.store.close() }
        session.must("new small; world; set decisions 500; runs 2 days 3")
        let alone = onDisk(directory)
        session.must("new big; world; set decisions 30000; runs 10 days 1")
        let kept = try holdings(session, "small")
        let before = onDisk(directory)
        #expect(before > alone + 5_000_000, "300,000 decisions took \(before - alone) bytes")
        // The database's size, some of it still in the -wal: what the reply counts from.
        let pages = try session.workspace.store.sql("SELECT page_count * page_size FROM pragma_page_count, pragma_page_size")
        let logical = try #require(Int(pages[0][0]))
        let reply = session.must("drop big")
        #expect(reply.hasPrefix("dropped big: 300000 decisions, "), "\(reply)")
        let after = onDisk(directory)
        // Most of what the experiment took is back on the file system (the -wal is checkpointed).
        #expect(Double(before - after) > 0.9 * Double(before - alone), "before \(before), after \(after), small alone \(alone)")
        let said = try #require(freed(in: reply), "\(reply)")
        #expect(abs(said - Double(logical - after)) < 0.02 * Double(logical - after), "said \(said), shrank \(logical - after)")
        #expect(try holdings(session, "small") == kept)
        #expect(try session.workspace.store.sql("PRAGMA integrity_check") == [["ok"]])
    }

    @Test("a store made before incremental vacuum is compacted once at a drop while no job runs, then frees at each drop")
    func olderStoreCompactedOnce() throws {
        let directory = temporaryDirectory()
        do {
            let session = try makeSession(directory)
            session.must("new small; world; set decisions 500; runs 2 days 3; new big; world; set decisions 10000; runs 10 days 1")
            session.workspace.store.close()
        }
        // As stores were made before: no auto-vacuum.
        let old = try runProgram("/usr/bin/sqlite3", [directory + "/bandit.db", "PRAGMA auto_vacuum=NONE; VACUUM; PRAGMA auto_vacuum"])
        #expect(old.status == 0 && old.stdout == "0\n", "\(old)")
        let session = try makeSession(directory)
        defer { session.workspace.store.close() }
        let kept = try holdings(session, "small")
        let before = onDisk(directory)
        let reply = session.must("drop big")
        #expect(reply.hasPrefix("dropped big: 100000 decisions, ") && reply.contains("compacted once"), "\(reply)")
        #expect(onDisk(directory) < before / 3, "before \(before), after \(onDisk(directory))")
        #expect(try session.workspace.store.reclaimsIncrementally())
        #expect(try holdings(session, "small") == kept)
        #expect(try session.workspace.store.sql("PRAGMA user_version") == [["\(Store.schemaVersion)"]])
        #expect(try session.workspace.store.sql("PRAGMA application_id") == [["1112425556"]])
        session.must("new big2; world; set decisions 10000; runs 5 days 1")
        #expect(!session.must("drop big2").contains("compacted"))
    }

    @Test("while a job runs, an older store keeps the space inside the file and says so")
    func olderStoreKeepsSpaceWhileJobRuns() throws {
        let directory = temporaryDirectory()
        do {
            let session = try makeSession(directory)
            session.must("new small; world; set decisions 200; new big; world; set decisions 10000; runs 10 days 1")
            session.workspace.store.close()
        }
        #expect(try runProgram("/usr/bin/sqlite3", [directory + "/bandit.db", "PRAGMA auto_vacuum=NONE; VACUUM"]).status == 0)
        let session = try makeSession(directory)
        defer { session.workspace.store.close() }
        let registry = session.workspace.registry
        session.must("use small; runs 2 days 100000 &")
        let job = try #require(registry.running.first)
        let reply = session.must("drop big")
        #expect(reply.hasPrefix("dropped big: 100000 decisions; ") && reply.contains("stay free inside bandit.db"), "\(reply)")
        #expect(!(try session.workspace.store.reclaimsIncrementally()))
        #expect(registry.cancel(jobID: job.jobID))
        registry.waitForBackground()
    }
}
