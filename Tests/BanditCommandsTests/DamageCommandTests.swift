// `check`, and a damaged store seen from the command line: in a session, and through the real
// programs (a daemon refusing a damaged file, one serving a file damaged under it, the recovery).

@testable import BanditStore
import Foundation
import BanditTestSupport
import Testing

/// Writes noise over the middle leaf page of `decisions` (in key order, far from where new rows
/// go) through a connection of its own, as a bad disk would; returns the page's number. With
/// `saving`, the page's bytes are copied there first (by dd, as `writeNoise` writes).
@discardableResult
func damageDecisions(_ path: String, saving copy: String? = nil) throws -> Int {
    let probe = try Connection(path: path)
    let leaves = try probe.prepare("SELECT pageno FROM dbstat WHERE name = 'decisions' AND pagetype = 'leaf' ORDER BY path")
        .rows { $0.int(0) }
    let pageSize = Int(try #require(try probe.integer("PRAGMA page_size")))
    probe.close()
    #expect(leaves.count >= 10, "decisions has \(leaves.count) leaf pages")
    let page = leaves[leaves.count / 2]
    if let copy {
        let saved = try runProgram("/bin/dd", ["if=\(path)", "of=\(copy)", "bs=\(pageSize)", "skip=\(page - 1)", "count=1", "status=none"])
        #expect(saved.status == 0, "\(saved.stderr)")
    }
    try writeNoise(path, page: page, pageSize: pageSize)
    return page
}

@Suite("Damaged store, from the command line")
struct DamageCommandTests {
    @Test("check answers ok with the file's size and the time it took")
    func checkSound() throws {
        let session = try makeSession()
        defer { session.workspace.store.close() }
        session.must("new e; world features 5 actions 30; runs 10 days 14")
        let answer = session.must("check")
        let path = session.workspace.store.path
        #expect(answer.hasPrefix("ok: \(path), "), "\(answer)")
        #expect(answer.wholeMatch(of: /ok: .*, [0-9.]+ (KB|MB) \([0-9]+ pages\), checked in [0-9.]+ m?s/) != nil, "\(answer)")
    }

    @Test("check lists the problems of a store damaged while it is open; writes are then refused and the file left as it is")
    func checkDamaged() throws {
        // Written, then closed: the pages are in the database file, not only in its -wal.
        let directory = temporaryDirectory()
        let first = try makeSession(directory)
        first.must("new e; world features 5 actions 30; runs 10 days 14; new f; world features 3 actions 4")
        first.workspace.store.close()
        let session = try makeSession(directory)
        let store = session.workspace.store
        defer { store.close() }
        let page = try damageDecisions(store.path)
        let before = [try digest(store.path), try digest(store.path + "-wal")]
        let error = session.refused("check")
        #expect(error.hasPrefix("\(store.path) is damaged (PRAGMA integrity_check: Page \(page)"), "\(error)")
        #expect(error.contains("the store writes nothing more") && error.contains(".recover | sqlite3"), "\(error)")
        for write in ["use e; runs 2 days 3", "new g", "use f; world features 2 actions 3", "drop e"] {
            #expect(session.refused(write).hasPrefix("the store \(store.path) is damaged"), "\(write)")
        }
        #expect(session.must("experiments").contains("f"))
        #expect([try digest(store.path), try digest(store.path + "-wal")] == before)
    }

    @Test("check says ok once the damaged page holds its bytes again, and that the store still writes nothing until reopened")
    func checkAfterRepair() throws {
        let directory = temporaryDirectory()
        let first = try makeSession(directory)
        first.must("new e; world features 5 actions 30; runs 10 days 14")
        first.workspace.store.close()
        let session = try makeSession(directory)
        let store = session.workspace.store
        defer { store.close() }
        let saved = temporaryDirectory() + "/page"
        let page = try damageDecisions(store.path, saving: saved)
        #expect(session.refused("check").contains("Page \(page)"))
        let restored = try runProgram("/bin/dd", ["if=\(saved)", "of=\(store.path)", "bs=4096", "seek=\(page - 1)", "count=1",
                                                  "conv=notrunc", "status=none"])
        #expect(restored.status == 0, "\(restored.stderr)")
        let answer = session.must("check")
        #expect(answer.hasPrefix("ok: \(store.path), ") && answer.hasSuffix("the store writes nothing more until it is opened again"),
                "\(answer)")
        #expect(session.refused("new f").hasPrefix("the store \(store.path) is damaged"))
    }

    @Test("banditd refuses a damaged store when it starts, and the client says why in one line; nothing is written",
          arguments: [true, false])
    func refusedAtStart(daemon: Bool) throws {
        let directory = temporaryDirectory(), state = directory + "/state", path = state + "/bandit.db"
        defer { stopDaemon(state) }
        var run = try runBandit(["--no-daemon", "--state-dir", state, "-c", "new a; world; runs 10 days 14; new b; world"],
                                directory: directory)
        #expect(run.status == 0, "\(run.stderr)")
        let page = try damageDecisions(path)
        let before = contents(path)
        run = try runBandit((daemon ? [] : ["--no-daemon"]) + ["--state-dir", state, "-c", "experiments"], directory: directory)
        #expect(run.status == 1)
        let said = daemon ? "bandit: banditd could not start: \(path) is damaged" : "bandit: \(path) is damaged"
        #expect(run.stderr.hasPrefix(said), "\(run.stderr)")
        #expect(run.stderr.contains("was not opened (PRAGMA quick_check: Page \(page)") && run.stderr.contains("nothing was written"))
        #expect(run.stderr.contains("sqlite3 \(path) .recover | sqlite3 \(state)/recovered.db"), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1 && run.stdout.isEmpty)
        #expect(contents(path) == before)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal") && daemonPID(state) == nil)
    }

    @Test("a daemon whose file is damaged while it serves: check reports it, writes are refused, and it stops without writing into the file")
    func damagedWhileServing() throws {
        let directory = temporaryDirectory(), state = directory + "/state", path = state + "/bandit.db"
        defer { stopDaemon(state) }
        var run = try runBandit(["--no-daemon", "--state-dir", state, "-c", "new a; world; runs 10 days 14"], directory: directory)
        #expect(run.status == 0, "\(run.stderr)")
        // The daemon starts, and commits something of its own (in its -wal).
        run = try runBandit(["--state-dir", state, "-c", "new b; world features 3 actions 4"], directory: directory)
        #expect(run.status == 0, "\(run.stderr)")
        try damageDecisions(path)
        run = try runBandit(["--state-dir", state, "-c", "check"], directory: directory)
        #expect(run.status == 1 && run.stderr.contains("is damaged (PRAGMA integrity_check: Page "), "\(run.stderr)")
        let before = [contents(path), contents(path + "-wal")]
        run = try runBandit(["--state-dir", state, "-c", "use a; runs 2 days 2"], directory: directory)
        #expect(run.status == 1 && run.stderr.contains("is damaged") && run.stderr.contains("it writes nothing more"), "\(run.stderr)")
        run = try runBandit(["--state-dir", state, "-c", "experiments"], directory: directory)
        #expect(run.status == 0 && run.stdout.contains("b"), "\(run.stderr)")
        run = try runBandit(["--state-dir", state, "-c", "shutdown"], directory: directory)
        #expect(run.status == 0, "\(run.stderr)")
        stopDaemon(state)
        // Stopped without copying its -wal into the damaged file: both are as they were.
        #expect([contents(path), contents(path + "-wal")] == before)
        #expect((before[1]?.count ?? 0) > 0)
    }

    @Test("the recovery banditd(8) gives makes a store that opens with what the damaged one still held")
    func recovery() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") else {
            print("skipped: no /usr/bin/sqlite3 to recover with")
            return
        }
        let directory = temporaryDirectory(), state = directory + "/state", path = state + "/bandit.db"
        var run = try runBandit(["--no-daemon", "--state-dir", state, "-c", "new a; world; runs 10 days 14; new b; world"],
                                directory: directory)
        #expect(run.status == 0, "\(run.stderr)")
        try damageDecisions(path)
        // .recover where this sqlite3 has it (it needs the sqlite_dbpage table), else .dump.
        let probe = try runProgram("/usr/bin/sqlite3", [":memory:", "SELECT count(*) FROM sqlite_dbpage"])
        let recover = probe.status == 0
            ? "sqlite3 bandit.db .recover | sqlite3 recovered.db"
            : """
              ( sqlite3 bandit.db .dump | sed 's/^ROLLBACK; -- due to errors$/COMMIT;/'
                echo "PRAGMA user_version = $(sqlite3 bandit.db 'PRAGMA user_version'); PRAGMA application_id = 1112425556;" ) | sqlite3 recovered.db
              """
        // The manual gives these very lines.
        let manual = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../man/banditd.8").path
        let page = try String(contentsOfFile: manual, encoding: .utf8).replacingOccurrences(of: "\\-", with: "-")
        for line in recover.split(separator: "\n") {
            #expect(page.contains(line.trimmingCharacters(in: .whitespaces)), "banditd.8 lacks: \(line)")
        }
        run = try runProgram("/bin/sh", ["-c", "cd \(state) && \(recover) && mv bandit.db bandit.db.damaged && mv recovered.db bandit.db"])
        #expect(run.status == 0, "\(run.stderr)")
        run = try runBandit(["--no-daemon", "--state-dir", state, "-c", "experiments; check; use b; runs 2 days 2"], directory: directory)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("ok: \(path)") && run.stdout.contains("  a ") && run.stdout.contains("  b "), "\(run.stdout)")
    }
}
