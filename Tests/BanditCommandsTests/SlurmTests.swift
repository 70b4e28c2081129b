// sweep on a real Slurm cluster (one node, started by the test): the issue's compare as an array of
// 8 tasks, merged byte for byte as one process plays it; one task killed while it runs, requeued,
// and merged again, still identical.

@testable import BanditCommands
import BanditStore
import BanditTestSupport
import Foundation
import Testing

@Suite("sweeps on Slurm", .serialized)
struct SlurmTests {
    @Test("sbatch of a plan, merged: byte for byte one process's; a task scancel'ed while it runs and requeued: still",
          .enabled(if: SlurmCluster.unavailable == nil, "\(SlurmCluster.unavailable ?? "")"))
    func array() throws {
        let directory = temporaryDirectory()
        let cluster = try SlurmCluster(directory: directory + "/slurm")
        defer { cluster.stop() }
        let session = try makeSession(directory)
        defer { session.workspace.store.close() }
        session.must("new e seed 11; world")
        let compare = "compare greedy eps:0.1 ts:30 runs 40 days 14"
        session.must("sweep plan \(compare) shards 8 into sweep")
        let job = try cluster.run("/usr/bin/sbatch", ["--parsable", directory + "/sweep/sweep.sbatch"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try cluster.waitFor("the array to finish", seconds: 600) { (try? cluster.tasks(job: job).isEmpty) == true }
        #expect(session.must("sweep status sweep").contains("8 of 8 shards done"))
        session.must("sweep merge sweep")
        let direct = try makeSession()
        defer { direct.workspace.store.close() }
        direct.must("new e seed 11; world; \(compare)")
        #expect(try session.file("export curves c.csv").contents == (try direct.file("export curves c.csv").contents))

        // Heavier shards, so that one can be killed mid-way: scancel, requeue, merge.
        let heavy = "compare greedy ts:30 runs 8 days 10"
        session.must("new h seed 12; world; set decisions 2000; sweep plan \(heavy) shards 4 into heavy")
        let second = try cluster.run("/usr/bin/sbatch", ["--parsable", directory + "/heavy/sweep.sbatch"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try cluster.waitFor("task 1 to commit a day", seconds: 300) {
            ((try? Store.readShards(directory: directory + "/heavy/shard-1"))?.first?.daysDone ?? 0) >= 1
        }
        try cluster.run("/usr/bin/scancel", ["\(second)_1"])
        try cluster.waitFor("task 1 to stop", seconds: 60) { (try? cluster.tasks(job: second)[1]) == nil }
        let stopped = try #require(try Store.readShards(directory: directory + "/heavy/shard-1").first)
        #expect(stopped.state != .finished, "task 1 was killed before its end (\(stopped.daysDone)/\(stopped.daysTotal) days)")
        try cluster.run("/usr/bin/scontrol", ["requeue", "\(second)_1"])
        // A requeued task waits two minutes before it may start again: it may start now.
        try cluster.run("/usr/bin/scontrol", ["update", "jobid=\(second)_1", "starttime=now"])
        try cluster.waitFor("the array to finish", seconds: 600) { (try? cluster.tasks(job: second).isEmpty) == true }
        #expect(session.must("sweep status heavy").contains("4 of 4 shards done"))
        session.must("sweep merge heavy")
        direct.must("new h seed 12; world; set decisions 2000; \(heavy)")
        #expect(try session.file("export curves c.csv").contents == (try direct.file("export curves c.csv").contents))
    }
}
