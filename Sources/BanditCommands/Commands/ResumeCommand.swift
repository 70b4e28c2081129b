// resume: continue an interrupted or cancelled job.

import BanditCore
import BanditStore

enum ResumeCommand {
    static let job = Argument<Int?>.optionalJob("J", .stopped, help: "job id (default: the latest resumable)")

    static let command = Command(
        "resume", arguments: [job], flags: [.mutating, .needsExperiment, .longRunning],
        summary: "continue an interrupted or cancelled job",
        details: """
            Continues a job that was interrupted (crash, Ctrl-C) from its last committed day; the result is what an \
            uninterrupted job would have given. A job during which the daemon died twice in a row without completing \
            a day is failed instead of resumed at each start; 'resume' retries it.
            """,
        examples: ["resume", "resume 3"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.session.currentExperiment()
        let jobs = try call.workspace.store.jobs(experimentID: experiment.id)
        let registry = call.workspace.registry
        func resumable(_ job: JobRecord) -> Bool { Self.resumable(job, registry: registry) }
        let job: JobRecord
        if let id = call[Self.job] {
            guard let found = jobs.first(where: { $0.id == Int64(id) }) else {
                throw CommandError.failed("no job \(id) in experiment \(experiment.name)")
            }
            guard resumable(found) else {
                throw CommandError.failed("job \(id) is \(found.state.rawValue): nothing to resume")
            }
            job = found
        } else {
            guard let latest = jobs.last(where: resumable) else {
                throw CommandError.failed("no interrupted or cancelled job to resume")
            }
            job = latest
        }
        call.effects = [.startJob(.resume(experiment, job))]
        return .empty
    }

    /// What `resume` continues: interrupted or cancelled; stored as running while no thread plays
    /// it (it lost its process, or its state could not be stored); or failed because its process
    /// kept dying, which only automatic resumption leaves alone.
    static func resumable(_ job: JobRecord, registry: JobRegistry) -> Bool {
        job.state.isResumable || (job.state == .running && !registry.isRunning(job.id)) || job.isRetryable
    }
}

