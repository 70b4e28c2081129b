// A damaged file: found when the store opens it or when SQLite meets the damage, and never written into.

@testable import BanditStore
import BanditCore
import BanditJobs
import Foundation
import BanditTestSupport
import Synchronization
import Testing

/// A closed store (no `-wal` left) with three experiments, each with a finished compare whose
/// decisions fill a few hundred pages.
func makeFilledStore(_ directory: String = temporaryDirectory()) throws -> String {
    let store = try Store(directory: directory)
    defer { store.close() }
    for name in ["a", "b", "c"] {
        let experiment = try makeExperiment(store, kind: .default, name: name)
        let executor = JobExecutor(store: store, threads: 1)
        let job = try executor.create(experiment: experiment, command: "compare", policies: [.greedy, .epsilonGreedy(0.1)],
                                      schedule: Schedule(decisionsPerDay: 100, days: 8, runs: 3))
        _ = try executor.execute(jobID: job.id)
    }
    return store.path
}

/// Writes 4 KB of noise over a leaf page in the middle of `table`'s B-tree (in key order: far from
/// where new rows go), as a bad disk or a stray program would; returns the page's number. The store
/// may be open meanwhile.
@discardableResult
func damage(_ path: String, table: String = "decisions") throws -> Int {
    let probe = try Connection(path: path)
    let leaves = try probe.prepare("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY path")
        .bind(1, table).rows { $0.int(0) }
    let pageSize = Int(try #require(try probe.integer("PRAGMA page_size")))
    probe.close()
    #expect(leaves.count >= 10, "\(table) has \(leaves.count) leaf pages")
    let page = leaves[leaves.count / 2]
    try writeNoise(path, page: page, pageSize: pageSize)
    return page
}

/// The digests of the database and of its `-wal` (nil when there is none).
func files(_ path: String) throws -> [String?] { [try digest(path), try digest(path + "-wal")] }

/// A file's size in bytes, or nil when there is no such file.
func size(_ path: String) -> Int? {
    var info = stat()
    return stat(path, &info) == 0 ? Int(info.st_size) : nil
}

func isDamagedOnOpen(_ error: any Error) -> Bool {
    if case .damagedOnOpen = error as? StoreError { true } else { false }
}

@Suite("Store damage")
struct DamageTests {
    @Test("a store with a damaged page is refused when opened, naming the file, the page and the way to recover; nothing is written")
    func refusedOnOpen() throws {
        let path = try makeFilledStore()
        let directory = (path as NSString).deletingLastPathComponent
        let page = try damage(path)
        let before = contents(path)
        #expect {
            try Store(directory: directory)
        } throws: { error in
            guard case .damagedOnOpen(let named, let problems, _) = error as? StoreError else { return false }
            let sentence = "\(error)"
            return named == path && problems.first?.contains("Page \(page)") == true && sentence.hasPrefix("\(path) is damaged")
                && sentence.contains("nothing was written") && sentence.contains("sqlite3 \(path) .recover | sqlite3 \(directory)/recovered.db")
                && !sentence.contains("\n")
        }
        #expect(contents(path) == before)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal") && !FileManager.default.fileExists(atPath: path + "-shm"))
        // Refused again for the same reason, not for a lock left held.
        #expect(performing: { try Store(directory: directory) }, throws: isDamagedOnOpen)
        #expect(contents(path) == before)
        // Without the check (for files too large to read at every start), it opens, and what needs
        // only sound pages reads.
        let unchecked = try Store(directory: directory, options: StoreOptions(checksOnOpen: false))
        defer { unchecked.close() }
        #expect(try unchecked.experiments().map(\.experiment.name) == ["a", "b", "c"])
    }

    @Test("SQLite meeting the damage while serving: every later write is refused before it touches the file; reads go on")
    func writesStopAtDamage() throws {
        let path = try makeFilledStore()
        let directory = (path as NSString).deletingLastPathComponent
        let store = try Store(directory: directory)
        let page = try damage(path)
        // A read over the damaged page meets it.
        #expect {
            try store.sql("SELECT count(*), sum(viewing_time) FROM decisions")
        } throws: { error in
            guard case .damaged(let named, _) = error as? StoreError else { return false }
            return named == path && "\(error)".contains("it writes nothing more") && "\(error)".contains(".recover")
        }
        let detail = try #require(store.damageDetail)
        let before = try files(path)
        #expect(size(path + "-wal") ?? 0 == 0)
        let refusal = StoreError.damaged(path: path, detail: detail)
        #expect(throws: refusal) { try store.createExperiment(name: "d", seed: 1, generator: Generator(kind: .default, seed: 1)) }
        #expect(throws: refusal) { try store.setJobState(id: 1, .failed, message: "x") }
        var experiment = try #require(try store.experiment(named: "a"))
        experiment.schedule.runs = 99
        #expect(throws: refusal) { try store.save(experiment) }
        #expect(throws: refusal) { try store.dropExperiment(named: "b") }
        // Reads that need only sound pages still answer.
        #expect(try store.experiments().map(\.experiment.name) == ["a", "b", "c"])
        #expect(try store.jobs().map(\.state) == [.finished, .finished, .finished])
        // A check lists the damage.
        let report = try store.checkIntegrity()
        #expect(!report.isSound && report.problems.contains { $0.contains("\(page)") }, "\(report.problems)")
        #expect(try files(path) == before)
        // The -wal holds nothing: it goes as usual, and the database is as it was.
        store.close()
        #expect(try digest(path) == before[0])
    }

    @Test("a damaged store keeps its -wal when it closes instead of copying it into the damaged file, and is refused next time")
    func walKeptAfterDamage() throws {
        let path = try makeFilledStore()
        let directory = (path as NSString).deletingLastPathComponent
        let store = try Store(directory: directory)
        // Committed after the open: in the -wal only.
        _ = try makeExperiment(store, kind: .numpy, name: "late")
        try damage(path)
        #expect(throws: StoreError.self) { try store.sql("SELECT count(*) FROM decisions") }
        #expect(store.damageDetail != nil)
        let before = try files(path)
        #expect(size(path + "-wal") ?? 0 > 0)
        store.close()
        #expect(try files(path) == before)
        #expect(performing: { try Store(directory: directory) }, throws: isDamagedOnOpen)
        #expect(try files(path) == before)
    }

    @Test("check reports the problems of a store damaged while it is open, and the store writes nothing more")
    func checkFindsDamage() throws {
        let path = try makeFilledStore()
        let store = try Store(directory: (path as NSString).deletingLastPathComponent)
        defer { store.close() }
        #expect(try store.checkIntegrity().isSound)
        #expect(try store.integrityCheck() == "ok")
        let page = try damage(path)
        let report = try store.checkIntegrity()
        #expect(report.problems.first?.contains("Page \(page)") == true, "\(report.problems)")
        #expect(report.pages > 100 && report.pageSize == 4096)
        let detail = try #require(store.damageDetail)
        let before = try files(path)
        #expect(throws: StoreError.damaged(path: path, detail: detail)) {
            try store.createExperiment(name: "d", seed: 1, generator: Generator(kind: .default, seed: 1))
        }
        #expect(try files(path) == before)
    }

    @Test("a job that meets the damage stops, says so once, and leaves its stored state as it was (running, listed as interrupted)")
    func jobStopsAtDamage() throws {
        let path = try makeFilledStore()
        let store = try Store(directory: (path as NSString).deletingLastPathComponent)
        defer { store.close() }
        try damage(path)
        let experiment = try makeExperiment(store, kind: .default, name: "d")
        let executor = JobExecutor(store: store, threads: 2)
        let job = try executor.create(experiment: experiment, command: "compare", policies: [.greedy, .thompson(5)],
                                      schedule: Schedule(decisionsPerDay: 100, days: 10, runs: 2))
        // Once three days are committed (days commit in groups: the third may come with others),
        // another reader meets the damaged page (on the job's writer thread).
        let found = Mutex<Int?>(nil)
        let hook: @Sendable (Int, Int) -> Void = { done, _ in
            if done >= 3, found.withLock({ seen in
                defer { seen = seen ?? done }
                return seen == nil
            }) {
                do {
                    _ = try store.sql("SELECT count(*) FROM decisions")
                } catch {
                    // Expected: this read is what finds the damage.
                }
            }
        }
        #expect {
            try executor.execute(jobID: job.id, progress: hook)
        } throws: { error in
            guard case .stoppedByDamage(let id, let damage)? = error as? JobError else { return false }
            return id == job.id && damage.contains("is damaged") && "\(error)".hasPrefix("job \(job.id) stopped, its state not stored")
        }
        let stored = try #require(try store.job(id: job.id))
        let damagedAfter = try #require(found.withLock { $0 })
        #expect(stored.state == .running && stored.daysDone == damagedAfter && stored.message == nil, "\(stored)")
        let before = try files(path)
        #expect(throws: StoreError.self) { try executor.execute(jobID: job.id) }
        #expect(try files(path) == before)
    }

    @Test("the check at open is skipped only for a file as a sound store left it: any write, a -wal, an unchecked session or the same clock tick bring it back")
    func checkStamp() throws {
        let path = try makeFilledStore()
        let directory = (path as NSString).deletingLastPathComponent
        /// Opens and closes the store (after the clock has moved on), saying whether it checked the file.
        func checks(_ options: StoreOptions = StoreOptions()) throws -> Bool {
            usleep(20_000)
            let store = try Store(directory: directory, options: options)
            defer { store.close() }
            return store.checkedAtOpen
        }
        // The first store closed within a tick of its last write; opened once more, the file settles.
        _ = try checks()
        #expect(try !checks() && !checks())
        // A write by another program (here an unchanged byte: the change time moves all the same).
        let bytes = try #require(FileManager.default.contents(atPath: path))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: bytes[100..<101])
        try handle.close()
        #expect(try checks())
        #expect(try !checks())
        // A `-wal` with something in it, as a process that died leaves one (SQLite finds no valid
        // frame in this one, and removes it at the close).
        try Data(repeating: 7, count: 64).write(to: URL(fileURLWithPath: path + "-wal"))
        #expect(try checks())
        #expect(try !checks())
        // A session that did not check leaves no stamp.
        _ = try checks()
        #expect(try !checks(StoreOptions(checksOnOpen: false)))
        #expect(try checks())
        // Damage straight after a close, within the same clock tick as the stamp: still found.
        #expect(try !checks())
        try damage(path)
        #expect(performing: { try Store(directory: directory) }, throws: isDamagedOnOpen)
    }

    @Test("a sound store opens after its quick check and checks ok")
    func soundStore() throws {
        let path = try makeFilledStore()
        let store = try Store(directory: (path as NSString).deletingLastPathComponent)
        defer { store.close() }
        let report = try store.checkIntegrity()
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(report.isSound && !report.more && report.bytes == size)
        #expect(store.damageDetail == nil)
        _ = try store.createExperiment(name: "d", seed: 1, generator: Generator(kind: .default, seed: 1))
    }
}
