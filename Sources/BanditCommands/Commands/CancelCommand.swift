// cancel: stop a running job at its next day boundary.

import BanditCore

enum CancelCommand {
    static let job = Argument<Int>.integer("J", 1...Int(Int32.max), help: "job id")

    static let command = Command(
        "cancel", arguments: [job],
        summary: "stop a running job at its next day boundary",
        details: "Stops a running job at its next day boundary; its completed days are kept and 'resume' continues it.",
        examples: ["cancel 3"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let id = Int64(call[Self.job])
        guard call.workspace.registry.cancel(jobID: id) else {
            throw CommandError.failed("job \(id) is not running")
        }
        return .text("job \(id) stops at the next day boundary; its completed days are kept")
    }
}
