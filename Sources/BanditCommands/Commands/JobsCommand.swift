// jobs: list the current experiment's jobs.

import BanditCore

enum JobsCommand {
    static let command = Command(
        "jobs", flags: [.needsExperiment],
        summary: "list the current experiment's jobs",
        details: "Lists the jobs of the current experiment: id, command, progress in days, state.", handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.session.currentExperiment()
        let jobs = try call.workspace.store.jobs(experimentID: experiment.id)
        guard !jobs.isEmpty else { return .text("no jobs yet") }
        let running = Dictionary(call.workspace.registry.running.map { ($0.jobID, $0) }, uniquingKeysWith: { a, _ in a })
        return .table(Table(headers: ["job", "command", "progress", "state"], alignments: [.right, .left, .right, .left],
                            rows: jobs.map { job in
            let resumed = job.resumed > 0 ? " (resumed \(job.resumed)×)" : ""
            let done = running[job.id].map { max($0.done, job.daysDone) } ?? job.daysDone
            var state = job.state.rawValue
            if let entry = running[job.id] {
                state = entry.background ? "running in the background" : "running"
            } else if job.state == .running {
                state = "interrupted"  // Its process is gone: `resume` continues it.
            } else if let message = job.message, job.state == .failed || job.state == .interrupted {
                state += ": " + message
            }
            return [.integer(Int(job.id)), .text(job.command), .progress(done, of: job.daysTotal), .text(state + resumed)]
        }, fields: [["job"], ["command"], ["days done", "days total"], ["state"]]))
    }
}
