// policy: select the live policy.

import BanditCore

enum PolicyCommand {
    static let policy = Argument<Policy>.policy("POLICY", help: "greedy, eps E (ε-greedy) or ts B (Thompson sampling)")

    static let command = Command(
        "policy", arguments: [policy], flags: [.mutating, .needsExperiment],
        summary: "select the live policy",
        details: """
            Selects the live policy: 'greedy', 'eps E' (ε-greedy with 0 ≤ E ≤ 1) or 'ts B' (Thompson \
            sampling with B ≥ 1 bootstrap replicates); canonical labels such as eps:0.1 and ts:30 are \
            accepted too. Nothing is drawn from the generator: the live run is retired, and the next \
            'day' starts a new one with fresh random coefficients.
            """, examples: ["policy ts 30", "policy eps 0.1"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        var experiment = try call.session.currentExperiment()
        let policy = call[Self.policy]
        experiment.policy = policy
        call.effects = [.save(experiment, retiringLiveRun: true)]
        return .text("policy \(policy.label)")
    }
}
