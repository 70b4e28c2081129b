// bandit-bench: timed workloads of the release build (`make bench`); figures, never pass/fail.

import BanditCore
import BanditStore
import Foundation

let clock = ContinuousClock()

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

/// The median of `repeats` timings of `body`.
func median(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<repeats {
        let start = clock.now
        try body()
        times.append(seconds(clock.now - start))
    }
    return times.sorted()[times.count / 2]
}

func scratchDirectory() -> String {
    let path = NSTemporaryDirectory() + "bandit-bench-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Decision rows per second through `commitDay` (one transaction per day), and checkpoint writes.
func storeWorkload() throws {
    let days = 20, perDay = 100_000
    var generator = Generator(kind: .default, seed: 1)
    let world = try World.draw(features: 5, actions: 30, using: &generator)
    var run = Run(world: world, policy: .epsilonGreedy(0.1), generator: generator, oracleValue: 0)
    var played: [(DaySummary, [Decision], RunCheckpoint)] = []
    for _ in 0..<days {
        let summary = run.playDay(decisions: perDay)
        run.fit()
        played.append((summary, run.lastDay, run.checkpoint))
    }
    let rowTime = try median(3) {
        let directory = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try Store(directory: directory)
        defer { store.close() }
        var experiment = try store.createExperiment(name: "bench", kind: .default, seed: 1)
        experiment.world = world
        try store.save(experiment)
        let record = try store.startRun(experimentID: experiment.id, jobID: nil, policy: run.policy, ordinal: 0,
                                        status: .running, checkpoint: played[0].2, world: world)
        for (summary, decisions, checkpoint) in played {
            try store.commitDay(run: record, summary: summary, decisions: decisions, checkpoint: checkpoint, world: world)
        }
    }
    let rows = Double(days * perDay)
    print(String(format: "store: %d decision rows in %d daily transactions: %.3f s, %.0f rows/s", days * perDay, days, rowTime, rows / rowTime))

    // A 30-member ensemble of 30 posts × 5 features, written to a live run (every checkpoint kept).
    var tsRun = Run(world: world, policy: .thompson(30), generator: generator, oracleValue: 0)
    tsRun.playDay(decisions: 100)
    tsRun.fit()
    let checkpoint = tsRun.checkpoint
    let count = 2000
    let directory = scratchDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let store = try Store(directory: directory)
    defer { store.close() }
    var experiment = try store.createExperiment(name: "bench", kind: .default, seed: 1)
    experiment.world = world
    try store.save(experiment)
    let record = try store.startRun(experimentID: experiment.id, jobID: nil, policy: tsRun.policy, ordinal: 0,
                                    status: .live, checkpoint: checkpoint, world: world)
    let checkpointTime = try median(3) {
        for _ in 0..<count { try store.saveCheckpoint(run: record, checkpoint, world: world) }
    }
    print(String(format: "store: checkpoint of a 30×30×5 ensemble (%d bytes): %.1f µs each, %.0f per second",
                 20 + 8 * 4500, checkpointTime / Double(count) * 1e6, Double(count) / checkpointTime))
}

print("bandit-bench (release build); machine: \(ProcessInfo.processInfo.activeProcessorCount) cores")
do {
    try storeWorkload()
} catch {
    FileHandle.standardError.write(Data("bandit-bench: \(error)\n".utf8))
    exit(1)
}
