// cancel: stop a running job at its next day boundary.

import BanditCore
import BanditStore

enum CancelCommand {
    static let job = Argument<Int>.job("J", .running, help: "job id")

    static let command = Command(
        "cancel", arguments: [job],
        summary: "stop a running job at its next day boundary",
        details: "Stops a running job at its next day boundary; its completed days are kept and 'resume' continues it.",
        examples: ["cancel 3"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let id = Int64(call[Self.job])
        guard call.workspace.registry.cancel(jobID: id) else { throw notRunning(id, call.workspace.store) }
        return .text("job \(id) stops at the next day boundary; its completed days are kept")
    }

    /// Why there is nothing to cancel, as `jobs` and `resume` see the job.
    static func notRunning(_ id: Int64, _ store: Store) -> CommandError {
        let job: JobRecord?
        do { job = try store.job(id: id) } catch { return .failed("job \(id) is not running (\(error))") }
        guard let job else { return .failed("no job \(id)") }
        switch job.state {
        case .finished: return .failed("job \(id) has finished")
        case .failed where !job.isRetryable: return .failed("job \(id) has failed: nothing to cancel")
        default:
            // Interrupted, cancelled, a retryable failure, or stored running with no thread (its process died).
            return .failed("job \(id) is not running (stopped after \(job.daysDone) of \(counted(job.daysTotal, "day"))): 'resume \(id)' continues it")
        }
    }
}
