// What `jobs`, `cancel` and `resume` say of a job stopped by a full disk: they agree with what runs.

@testable import BanditCommands
import BanditStore
import BanditTestSupport
import Foundation
import Testing

@Suite("Job states seen by commands")
struct JobStateCommandTests {
    @Test("a full disk: the job is resumable, cancel says it is not running, a failed resume changes nothing, resume finishes it once there is room")
    func fullDisk() throws {
        let directory = temporaryDirectory()
        var store = try Store(directory: directory)
        var session = Session(workspace: Workspace(store: store, threads: 2), workingDirectory: directory)
        session.must("new e; world")
        let pages = try #require(Int(try store.sql("PRAGMA page_count")[0][0]))
        store.close()
        // Room for a few days of the job, not for all of them.
        store = try Store(directory: directory, options: StoreOptions(maximumPages: pages + 30))
        session = Session(workspace: Workspace(store: store, threads: 2), current: "e", workingDirectory: directory)
        var error = session.refused("runs 20 days 14")
        #expect(error.contains("the disk is full"), "\(error)")
        let stopped = try #require(try store.job(id: 1))
        #expect(stopped.daysDone > 0 && stopped.daysDone < stopped.daysTotal)
        error = session.refused("cancel 1")
        #expect(error == "job 1 is not running (stopped after \(stopped.daysDone) of 280 days): 'resume 1' continues it")
        // Still full: the resume fails the same way and leaves the job as resumable as it was.
        error = session.refused("resume 1")
        #expect(error.contains("the disk is full"), "\(error)")
        #expect(!session.workspace.registry.isRunning(1))
        error = session.refused("resume 1")
        #expect(error.contains("the disk is full"), "\(error)")
        store.close()
        // Room again: the job ends.
        store = try Store(directory: directory)
        defer { store.close() }
        session = Session(workspace: Workspace(store: store, threads: 2), current: "e", workingDirectory: directory)
        #expect(session.must("resume 1").contains("job 1 finished"))
        #expect(try store.job(id: 1)?.state == .finished)
        #expect(session.refused("cancel 1") == "job 1 has finished")
    }
}
