// new: create an experiment and make it current.

import BanditCore

enum NewCommand {
    static let name = Argument<String>.word("NAME", .name, help: "the experiment's name")
    static let kind = Argument<GeneratorKind>.choice("KIND", keyword: "rng", default: .default, help: "generator: default or numpy")
    static let seed = Argument<Int>.integer("N", Limits.seed, keyword: "seed", default: 0, help: "seed, 0 to 4294967295")
    static let replace = Argument<Existing?>.optionalChoice("replace", help: "drop an experiment of that name first")

    enum Existing: String, CaseIterable, Sendable { case replace }

    static let command = Command(
        "new", arguments: [name, replace, kind, seed], flags: [.mutating],
        summary: "create an experiment and make it current",
        details: """
            Creates an experiment with its own generator (default: the fast 'default' generator, seed 0) \
            and makes it current. 'rng numpy' selects MT19937 with numpy's legacy semantics, which \
            reproduces the reference notebook bit for bit. Draw its world next with 'world'. A name \
            that exists is refused, unless 'replace' follows it: then that experiment is dropped first \
            (refused while a job plays it), so that a script can be run again.
            """, examples: ["new notebook rng numpy seed 17", "new notebook replace rng numpy seed 17"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let name = call[Self.name], kind = call[Self.kind], seed = UInt32(call[Self.seed])
        let replaced = call[Self.replace] == nil ? nil : try call.workspace.store.experiment(named: name)
        call.effects = (replaced.map { [.drop($0)] } ?? []) + [.createExperiment(name: name, kind: kind, seed: seed), .use(name)]
        let made = "experiment \(name): generator \(kind.rawValue), seed \(seed); draw its world with 'world'"
        return .text(replaced == nil ? made : "replaced " + made)
    }
}
