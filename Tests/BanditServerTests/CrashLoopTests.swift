// A job that kills its daemon is not resumed at every start: the daemon stays up for the others.

import BanditCommands
@testable import BanditStore
import BanditTestSupport
import Foundation
import Testing

@Suite("Crash loops")
struct CrashLoopTests {
    /// A job's stored (state, resumed, days done), read as another process would.
    static func job(_ id: Int, in state: String) throws -> (state: String, resumed: Int, daysDone: Int)? {
        let connection = try Connection(path: state + "/bandit.db", readOnly: true)
        defer { connection.close() }
        let rows = try connection.prepare("SELECT state, resumed, days_done FROM jobs WHERE id = ?").bind(1, Int64(id))
            .rows { ($0.string(0), $0.int(1), $0.int(2)) }
        return rows.first
    }

    /// Waits until job 1 plays again after `resumed` resumptions, still in its first day, and job 2
    /// has committed more than `otherBeyond` days (so that its process's death is no death in a row
    /// for it), then SIGKILLs the daemon; returns job 2's days then.
    @discardableResult
    static func killInFirstDay(_ state: String, resumed: Int, otherBeyond: Int) throws -> Int {
        var seen: (state: String, resumed: Int, daysDone: Int)?
        for _ in 0..<2000 {
            seen = try job(1, in: state)
            if let seen, seen.state == "running", seen.resumed == resumed, try (job(2, in: state)?.daysDone ?? 0) > otherBeyond { break }
            usleep(5_000)
        }
        try #require(seen?.state == "running" && seen?.resumed == resumed && seen?.daysDone == 0, "job 1: \(String(describing: seen))")
        let pid = try #require(daemonPID(state))
        kill(pid, SIGKILL)
        for _ in 0..<250 where kill(pid, 0) == 0 { usleep(20_000) }
        #expect(try job(1, in: state)?.daysDone == 0, "the kill came after job 1's first day")
        return try job(2, in: state)?.daysDone ?? 0
    }

    @Test("killed twice in a job's first day, the daemon starts a third time without it; others go on; 'resume' retries it")
    func crashLoop() throws {
        let directory = temporaryDirectory(), state = directory + "/state"
        defer { stopDaemon(state) }
        // Job 1's first day is 3 million decisions, seconds long; job 2 completes days all along.
        var run = try bandit(["--state-dir", state, "-c", """
            new poison; world; set decisions 3000000; runs 1 days 1 &
            new other; world; runs 300 days 14 &
            """], in: directory)
        #expect(run.status == 0, "\(run.stderr)")
        let otherDays = try Self.killInFirstDay(state, resumed: 0, otherBeyond: 0)
        // The next client's daemon resumes both; job 1 dies with it again before its first day ends.
        run = try bandit(["--state-dir", state, "-c", "use poison; jobs"], in: directory)
        #expect(run.status == 0, "\(run.stderr)")
        try Self.killInFirstDay(state, resumed: 1, otherBeyond: otherDays)
        // The third daemon leaves job 1 failed, with why and what to do, and resumes job 2.
        run = try bandit(["--state-dir", state, "-c", "use other; wait 2; jobs"], in: directory)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("job 2 finished"), "\(run.stdout)")
        #expect(try Self.job(1, in: state)?.state == "failed")
        run = try bandit(["--state-dir", state, "-c", "use poison; jobs"], in: directory)
        #expect(run.stdout.contains("the process died 2 times in a row while this job ran, without completing a day"), "\(run.stdout)")
        #expect(run.stdout.contains("'resume 1' retries it"), "\(run.stdout)")
        // Cancel and resume agree: it is not running, and asked for, it runs to its end.
        run = try bandit(["--state-dir", state, "-c", "use poison; cancel 1"], in: directory)
        #expect(run.stderr.contains("job 1 is not running (stopped after 0 of 1 day): 'resume 1' continues it"), "\(run.stderr)")
        run = try bandit(["--state-dir", state, "-c", "use poison; resume"], in: directory)
        #expect(run.status == 0 && run.stdout.contains("job 1 finished"), "\(run.stdout) \(run.stderr)")
    }
}
