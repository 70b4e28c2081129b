// Job states across the deaths of their process: interrupted and resumed, or failed when it keeps dying.

import BanditCore
@testable import BanditStore
import BanditTestSupport
import Testing

@Suite("Job states")
struct JobStateTests {
    /// A store whose process "dies": closed with whatever is running left as it is, then opened again.
    static func reopen(_ store: inout Store, _ directory: String) throws {
        store.close()
        store = try Store(directory: directory)
    }

    /// One day of run `record` committed for its job, as the job's writer commits it.
    static func commitDay(_ store: Store, _ run: inout Run, _ record: RunRecord, jobDaysDone: Int) throws {
        let summary = run.playDay(decisions: 10)
        run.fit()
        try store.commitDay(run: record, summary: summary, decisions: run.lastDay, checkpoint: run.checkpoint,
                            world: run.world, jobDaysDone: jobDaysDone)
    }

    @Test("a job during which the process dies twice without completing a day is failed, and retried only when asked")
    func crashLoop() throws {
        let directory = temporaryDirectory()
        var store = try Store(directory: directory)
        defer { store.close() }
        let experiment = try makeExperiment(store, kind: .default)
        let world = try #require(experiment.world)
        let job = try store.createJob(experimentID: experiment.id, command: "runs 1 days 9", policies: [.greedy],
                                      schedule: Schedule(decisionsPerDay: 10, days: 9, runs: 1), startGenerator: experiment.generator)
        // The process dies in its first day: interrupted, to be resumed at the next start.
        try Self.reopen(&store, directory)
        var found = try #require(try store.job(id: job.id))
        #expect(found.state == .interrupted && found.crashes == 1 && !found.isRetryable)
        // Resumed, it dies again before completing a day: failed, with the reason and the way out.
        try store.setJobState(id: job.id, .running, resuming: true)
        try Self.reopen(&store, directory)
        found = try #require(try store.job(id: job.id))
        #expect(found.state == .failed && found.isRetryable)
        #expect(found.message == """
            the process died 2 times in a row while this job ran, without completing a day: it is not resumed \
            automatically; 'resume \(job.id)' retries it
            """)
        // Retried by hand, it completes two days before the next death: a first death again.
        try store.setJobState(id: job.id, .running, resuming: true)
        var run = Run(world: world, policy: .greedy, generator: experiment.generator, oracleValue: 1)
        let record = try store.startRun(experimentID: experiment.id, jobID: job.id, policy: .greedy, ordinal: 0, status: .running,
                                        checkpoint: run.checkpoint, world: world)
        try Self.commitDay(store, &run, record, jobDaysDone: 1)
        try Self.commitDay(store, &run, record, jobDaysDone: 2)
        try Self.reopen(&store, directory)
        found = try #require(try store.job(id: job.id))
        #expect(found.state == .interrupted && found.crashes == 1 && found.daysDone == 2)
        // A stop by signal is no death: the count stays, and the next death without a day is the second.
        try store.setJobState(id: job.id, .running, resuming: true)
        try store.setJobState(id: job.id, .interrupted, message: "the daemon stopped")
        try store.setJobState(id: job.id, .running, resuming: true)
        try Self.reopen(&store, directory)
        #expect(try store.job(id: job.id)?.state == .failed)
    }

    @Test("a new world leaves nothing to retry of a job failed by deaths")
    func newWorldEndsRetries() throws {
        let directory = temporaryDirectory()
        var store = try Store(directory: directory)
        defer { store.close() }
        var experiment = try makeExperiment(store, kind: .default)
        let job = try store.createJob(experimentID: experiment.id, command: "runs 1 days 9", policies: [.greedy],
                                      schedule: Schedule(decisionsPerDay: 10, days: 9, runs: 1), startGenerator: experiment.generator)
        try Self.reopen(&store, directory)
        try store.setJobState(id: job.id, .running, resuming: true)
        try Self.reopen(&store, directory)
        #expect(try store.job(id: job.id)?.isRetryable == true)
        var generator = experiment.generator
        experiment.world = try World.draw(features: 3, actions: 4, using: &generator)
        try store.replaceWorld(experiment)
        let found = try #require(try store.job(id: job.id))
        #expect(found.state == .failed && !found.isRetryable && found.message == "the world was replaced")
    }
}
