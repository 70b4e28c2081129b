// Group commit and `keep summaries`: fewer writes, the same stored results.

import BanditCore
import BanditJobs
@testable import BanditStore
import Foundation
import BanditTestSupport
import Synchronization
import Testing

@Suite("Group commit")
struct GroupCommitTests {
    /// The rows that say what a job played, independent of run ids (which depend on thread order):
    /// days and decisions by (policy, ordinal), each run's status and latest checkpoint, the results.
    static func content(_ store: Store) throws -> [[String]] {
        try store.sql("""
            SELECT r.policy, r.ordinal, d.day, d.decisions, quote(d.mean_viewing_time), quote(d.regret)
            FROM days d JOIN runs r ON r.id = d.run_id ORDER BY r.policy, r.ordinal, d.day
            """)
            + store.sql("""
                SELECT r.policy, r.ordinal, x.day, x.idx, x.context, x.action, quote(x.propensity), quote(x.viewing_time)
                FROM decisions x JOIN runs r ON r.id = x.run_id ORDER BY r.policy, r.ordinal, x.day, x.idx
                """)
            + store.sql("""
                SELECT r.policy, r.ordinal, r.status, r.days_played, c.days_played, c.fits, hex(c.coefficients), hex(c.generator)
                FROM runs r JOIN checkpoints c ON c.run_id = r.id ORDER BY r.policy, r.ordinal, c.sequence
                """)
            + store.sql("SELECT policy, day, quote(mean), quote(se) FROM result_days ORDER BY policy, day")
            + store.sql("SELECT days_done, days_total, state FROM jobs")
    }

    /// A compare job played to its end in a fresh store, committing at most `batchLimit` days at a time.
    static func play(batchLimit: Int, keep: DecisionKeeping = .decisions, threads: Int = 2) throws -> Store {
        let store = try Store(directory: temporaryDirectory())
        var experiment = try makeExperiment(store, kind: .default, actions: 7)
        experiment.keep = keep
        try store.save(experiment)
        let executor = JobExecutor(store: store, threads: threads, batchLimit: batchLimit)
        let job = try executor.create(experiment: experiment, command: "compare", policies: [.greedy, .thompson(6)],
                                      schedule: Schedule(decisionsPerDay: 30, days: 6, runs: 5))
        guard case .finished = try executor.execute(jobID: job.id) else { throw StoreError.noSuchJob(job.id) }
        return store
    }

    @Test("a job committed in batches of up to 64 days stores exactly what one transaction per day stores",
          arguments: [1, 2])
    func batchesStoreTheSame(threads: Int) throws {
        let single = try Self.play(batchLimit: 1, threads: threads), grouped = try Self.play(batchLimit: 64, threads: threads)
        defer {
            single.close()
            grouped.close()
        }
        let expected = try Self.content(single)
        #expect(expected.count > 2 * 5 * 6 * 30)
        #expect(try Self.content(grouped) == expected)
        // Each run keeps its latest checkpoint only, the last day's, either way.
        #expect(try grouped.sql("SELECT count(*) FROM checkpoints") == [["10"]])
        #expect(try grouped.sql("SELECT DISTINCT days_played FROM checkpoints") == [["6"]])
    }

    /// A run's days played and handed to `Store.commit`, one transaction per day or all in one.
    @Test("fourteen days of a run in one transaction: the same rows, fewer changed, far fewer pages written than fourteen transactions")
    func oneTransactionWritesLess() throws {
        var written: [(rows: Int, pages: Int)] = []
        var contents: [[[String]]] = []
        for grouped in [false, true] {
            let store = try Store(directory: temporaryDirectory())
            defer { store.close() }
            let experiment = try makeExperiment(store, kind: .default, actions: 30)
            let world = try #require(experiment.world)
            let job = try store.createJob(experimentID: experiment.id, command: "runs", policies: [.thompson(30)],
                                          schedule: Schedule(days: 14, runs: 1), startGenerator: experiment.generator)
            var run = Run(world: world, policy: .thompson(30), generator: experiment.generator, oracleValue: 0)
            let record = try store.startRun(experimentID: experiment.id, jobID: job.id, policy: run.policy, ordinal: 0,
                                            status: .running, checkpoint: run.checkpoint, world: world)
            var batch: [CommitWork] = []
            for _ in 0..<14 {
                let summary = run.playDay(decisions: 100)
                run.fit()
                batch.append(.day(run: record, summary: summary, decisions: run.lastDay, checkpoint: run.checkpoint, picks: nil))
            }
            batch.append(.endRun(record))
            let before = try store.writeCounts()
            if grouped {
                try store.commit(batch, world: world, jobDaysDone: 14)
            } else {
                for (index, work) in batch.enumerated() { try store.commit([work], world: world, jobDaysDone: min(14, index + 1)) }
            }
            let after = try store.writeCounts()
            written.append((after.rows - before.rows, after.pages - before.pages))
            contents.append(try Self.content(store))
        }
        #expect(contents[0] == contents[1])
        // Per day: 100 decision rows and a day row either way; one checkpoint instead of fourteen
        // inserted and pruned, one update of the job and of the run.
        #expect(written[1].rows < written[0].rows && written[0].rows - written[1].rows >= 13 * 3)
        // A Thompson-sampling checkpoint is 36 KB (nine overflow pages): fourteen of them are most of the writing.
        #expect(written[1].pages * 4 < written[0].pages, "pages: \(written[0].pages) one at a time, \(written[1].pages) grouped")
    }

    @Test("keep summaries: the same days, curves and last checkpoints, no decision of a finished run; keep decisions keeps all")
    func keepSummaries() throws {
        let everything = try Self.play(batchLimit: 64), summaries = try Self.play(batchLimit: 64, keep: .summaries)
        let oneByOne = try Self.play(batchLimit: 1, keep: .summaries)
        defer {
            everything.close()
            summaries.close()
            oneByOne.close()
        }
        #expect(try everything.sql("SELECT count(*) FROM decisions") == [["1800"]])
        for store in [summaries, oneByOne] {
            #expect(try store.sql("SELECT count(*) FROM decisions") == [["0"]])
            #expect(try store.sql("SELECT DISTINCT keep FROM jobs") == [["summaries"]])
            let kept = try Self.content(store), all = try Self.content(everything).filter { $0.count != 8 || $0[2] == "finished" }
            #expect(kept == all)
        }
    }

    @Test("keep summaries, stopped mid-way: a run in progress keeps its decisions and resumes exactly; only finished runs lose theirs")
    func keepSummariesResumes() throws {
        let reference = try Self.play(batchLimit: 64, keep: .summaries)
        defer { reference.close() }
        let store = try Store(directory: temporaryDirectory())
        defer { store.close() }
        var experiment = try makeExperiment(store, kind: .default, actions: 7)
        experiment.keep = .summaries
        try store.save(experiment)
        let executor = JobExecutor(store: store, threads: 2)
        let job = try executor.create(experiment: experiment, command: "compare", policies: [.greedy, .thompson(6)],
                                      schedule: Schedule(decisionsPerDay: 30, days: 6, runs: 5))
        // A later `set keep decisions` does not change what a started job keeps.
        experiment.keep = .decisions
        try store.save(experiment)
        let asked = Mutex(0)
        let outcome = try executor.execute(jobID: job.id, shouldStop: {
            asked.withLock { count in
                count += 1
                return count > 25 ? .cancelled : nil
            }
        })
        #expect(outcome == .stopped(.cancelled))
        let unfinished = try store.sql("SELECT count(*) FROM runs WHERE status = 'running' AND days_played > 0")[0][0]
        #expect(unfinished != "0")
        // Decisions remain exactly for the days of runs still in progress.
        #expect(try store.sql("SELECT count(*) FROM decisions x JOIN runs r ON r.id = x.run_id WHERE r.status = 'finished'") == [["0"]])
        #expect(try store.sql("SELECT sum(days_played) * 30 FROM runs WHERE status = 'running'")
                == store.sql("SELECT count(*) FROM decisions"))
        guard case .finished = try executor.execute(jobID: job.id) else {
            Issue.record("the resumed job did not finish")
            return
        }
        #expect(try Self.content(store) == Self.content(reference))
    }
}

