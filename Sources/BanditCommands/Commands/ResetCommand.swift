// reset: start a new live run.

import BanditCore

enum ResetCommand {
    static let command = Command(
        "reset", flags: [.mutating, .needsExperiment],
        summary: "start a new live run",
        details: "Retires the live run; the next 'day' or 'step' starts a new one with fresh random coefficients.", handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.session.currentExperiment()
        call.effects = [.save(experiment, retiringLiveRun: true)]
        return .text("live run reset: the next 'day' starts a new \(experiment.policy.label) run")
    }
}
