// wait: wait for a running job, with a progress bar.

import BanditCore

enum WaitCommand {
    static let job = Argument<Int?>.optionalJob("J", .running, help: "job id (default: the latest running)")

    static let command = Command(
        "wait", arguments: [job], flags: [.needsExperiment, .longRunning],
        summary: "wait for a running job, with a progress bar",
        details: "Waits until the job ends (Ctrl-C stops waiting, not the job) and tells how it ended.",
        examples: ["wait", "wait 3"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.session.currentExperiment()
        let registry = call.workspace.registry
        let id: Int64
        if let requested = call[Self.job] {
            id = Int64(requested)
            guard try call.workspace.store.jobs(experimentID: experiment.id).contains(where: { $0.id == id }) else {
                throw CommandError.failed("no job \(requested) in experiment \(experiment.name)")
            }
        } else {
            let mine = Set(try call.workspace.store.jobs(experimentID: experiment.id).map(\.id))
            guard let latest = registry.running.last(where: { mine.contains($0.jobID) }) else {
                return .text("no job of \(experiment.name) is running")
            }
            id = latest.jobID
        }
        let progress = call.progress
        registry.wait(jobID: id, shouldStop: call.shouldStop) { entry in
            progress?(JobProgress(label: entry.command, done: entry.done, total: entry.total))
        }
        guard let job = try call.workspace.store.job(id: id) else { throw CommandError.failed("no job \(id)") }
        if registry.isRunning(id) { return .text("job \(id) still running: \(job.daysDone)/\(counted(job.daysTotal, "day"))") }
        return .text("job \(id) \(job.state.rawValue): \(job.command) (\(job.daysDone)/\(counted(job.daysTotal, "day")))"
            + (job.message.map { "; \($0)" } ?? ""))
    }
}
