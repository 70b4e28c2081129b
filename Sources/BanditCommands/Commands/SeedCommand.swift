// seed: reseed the current experiment's generator.

import BanditCore

enum SeedCommand {
    static let seed = Argument<Int>.integer("N", Limits.seed, help: "seed, 0 to 4294967295")

    static let command = Command(
        "seed", arguments: [seed], flags: [.mutating, .needsExperiment],
        summary: "reseed the current experiment's generator",
        details: """
            Reseeds the current experiment's generator, as np.random.seed(N) does in the notebook. \
            The live run, if any, continues on the reseeded stream.
            """, examples: ["seed 17"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        var experiment = try call.session.currentExperiment()
        let seed = UInt32(call[Self.seed])
        experiment.seed = seed
        experiment.generator = Generator(kind: experiment.kind, seed: seed)
        call.effects = [.save(experiment, retiringLiveRun: false)]
        return .text("\(experiment.name): generator reseeded with \(seed)")
    }
}
