// shard: play one shard of a sweep plan into this state directory's store.

import BanditCore
import BanditStore
import Foundation

enum ShardCommand {
    static let spec = Argument<String>.word("PLAN", .inputFile, help: "the plan's sweep.json, relative to the client's directory")
    static let index = Argument<Int>.integer("INDEX", 0...1_000_000, help: "which shard, from 0")

    static let command = Command(
        "shard", arguments: [spec, index], flags: [.mutating, .longRunning],
        summary: "play one shard of a sweep plan (what a Slurm array task runs)",
        details: """
            Plays shard INDEX of the plan PLAN (a sweep.json written by 'sweep plan') into this state \
            directory's store: the plan's experiment and world, and a job of its slice of each policy's runs, \
            each run from its own stream of the plan's generator, so that its numbers are those one daemon \
            would play. Every day is committed with its checkpoint; started again (a requeued or killed task), \
            it continues from the last committed day and never plays a run twice. Usually run as \
            'bandit --no-daemon --state-dir DIR/shard-INDEX shard DIR/sweep.json INDEX' by sweep.sbatch or by \
            'sweep plan ... local'; 'sweep merge DIR' then gathers the shards.
            """,
        examples: ["shard sweep/sweep.json 3"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let spec = try SweepCommand.readSpec(call[Self.spec], workingDirectory: call.session.workingDirectory)
        guard isValidName(spec.experiment) else {
            throw CommandError.failed("\(echo(call[Self.spec])): its experiment's name '\(echo(spec.experiment))' is not one bandit gives")
        }
        let index = call[Self.index]
        guard index < spec.shards.count else {
            throw CommandError.badValue("plan \(spec.plan) has \(counted(spec.shards.count, "shard")): INDEX from 0 to \(spec.shards.count - 1)")
        }
        call.effects = [.playShard(spec, index: index)]
        return .empty
    }
}
