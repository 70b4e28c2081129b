// compare: runs for several policies from the same generator state, as a job.

import BanditCore

enum CompareCommand {
    static let policies = Argument<[Policy]>.policies("POLICY", optional: false, help: "policies to compare, e.g. greedy eps:0.1 ts:30")
    static let runs = Argument<Int?>.optionalInteger("R", Limits.count, keyword: "runs", help: "runs per policy")
    static let days = Argument<Int?>.optionalInteger("D", Limits.count, keyword: "days", help: "days per run")

    static let command = Command(
        "compare", arguments: [policies, runs, days], flags: [.mutating, .needsWorld, .longRunning],
        summary: "runs for several policies from the same generator state",
        details: """
            'runs' for each policy, every policy starting from the same generator state (common random \
            numbers), each curve stored under its policy's label.
            """, examples: ["compare greedy eps:0.1 ts:30 runs 10"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let policies = call[Self.policies]
        // Each curve is stored under its policy's label: a second one would overwrite the first.
        var seen = Set<String>()
        for policy in policies where !seen.insert(policy.label).inserted {
            throw CommandError.usage("\(policy.label) is named twice: each policy's curve is stored under its label")
        }
        return try RunsCommand.start(&call, policies: policies, runs: call[Self.runs], days: call[Self.days])
    }
}
