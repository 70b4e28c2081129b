// Experiments: statistics with numpy's semantics, thread-independence, and agreement of the default mode.

import BanditCore
import BanditTestSupport
import Foundation
import Testing

@Suite("Experiments")
struct ExperimentTests {
    @Test("curve statistics: numpy's mean(axis=0) and std(axis=0)/sqrt(R)")
    func curveStatistics() {
        let curve = Curve(label: "x", dailyMeans: [[1, 2, 3, 4, 5, 6], [3, 2, 1, 0, 1, 2]])
        #expect(curve.mean == [2, 2, 2, 2, 3, 4])
        // Population std of {1,3} is 1, divided by √2.
        #expect(curve.standardError[0] == 1 / 2.0.squareRoot())
        #expect(curve.standardError[1] == 0)
        #expect(curve.asymptote == 3.5)
        #expect(Curve(label: "short", dailyMeans: [[1, 2, 3, 4]]).asymptote == nil)
    }

    @Test("default mode: the same curves on 1 thread and on several", arguments: [Policy.greedy, .epsilonGreedy(0.1), .thompson(10)])
    func threadIndependence(policy: Policy) throws {
        var generator = Generator(kind: .default, seed: 5)
        let world = try World.draw(features: 5, actions: 12, using: &generator)
        let schedule = Schedule(decisionsPerDay: 50, days: 6, runs: 7)
        var curves: [Curve] = []
        var after: [Generator] = []
        for threads in [1, 2, 3, 8] {
            var g = generator
            curves.append(Experiment.runSequences(world: world, policy: policy, schedule: schedule, generator: &g,
                                                  oracleValue: 0, threads: threads))
            after.append(g)
        }
        #expect(after.allSatisfy { $0 == after[0] } && after[0] != generator)
        for curve in curves.dropFirst() {
            #expect(curve.mean.map(\.bitPattern) == curves[0].mean.map(\.bitPattern))
            #expect(curve.standardError.map(\.bitPattern) == curves[0].standardError.map(\.bitPattern))
        }
        // Consecutive experiments on one generator draw fresh streams.
        var g = generator
        let first = Experiment.runSequences(world: world, policy: policy, schedule: schedule, generator: &g, oracleValue: 0)
        let second = Experiment.runSequences(world: world, policy: policy, schedule: schedule, generator: &g, oracleValue: 0)
        #expect(first.mean != second.mean)
    }

    @Test("a copied run fits exactly as the original, whichever fits first", arguments: GeneratorKind.allCases)
    func copiedRuns(kind: GeneratorKind) throws {
        var generator = Generator(kind: kind, seed: 9)
        let world = try World.draw(features: 5, actions: 10, using: &generator)
        var original = Run(world: world, policy: .thompson(8), generator: generator, oracleValue: 0)
        for _ in 0..<3 {
            original.playDay(decisions: 40)
            original.fit()
        }
        original.playDay(decisions: 40)
        // The copies share the recommender's kept state until one of them fits.
        var first = original, second = original
        first.fit()
        second.fit()
        original.fit()
        #expect(first.checkpoint == second.checkpoint && second.checkpoint == original.checkpoint)
        first.playDay(decisions: 40)
        original.playDay(decisions: 40)
        #expect(first.days == original.days && first.lastDay == original.lastDay)
    }

    @Test("default mode agrees with the notebook's asymptotes on the seed-17 world")
    func statisticalAgreement() throws {
        let reference = try #require(try Fixture.json("asymptotes") as? [String: [String: Any]])
        let notebook = try NotebookReference(fixture: "notebook17")
        let world = try World(features: 5, actions: 30, noise: 0.1, weights: notebook.weights)
        var generator = Generator(kind: .default, seed: 2024)
        let runs = 60
        for policy in [Policy.greedy, .epsilonGreedy(0.1), .thompson(30)] {
            // Per-run asymptotes, so that their spread gives this side's standard error.
            var asymptotes: [Double] = []
            for _ in 0..<runs / 10 {
                let curveRuns = try perRunAsymptotes(world: world, policy: policy, generator: &generator, runs: 10)
                asymptotes += curveRuns
            }
            let mean = asymptotes.reduce(0, +) / Double(asymptotes.count)
            let variance = asymptotes.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(asymptotes.count)
            let ours = (variance / Double(asymptotes.count)).squareRoot()
            let expected = try #require(reference[policy.label])
            let theirs = expected["se"] as! Double
            let distance = abs(mean - (expected["asymptote"] as! Double)) / (ours * ours + theirs * theirs).squareRoot()
            #expect(distance < 4, "\(policy): \(mean) ± \(ours) vs numpy \(expected["asymptote"]!) ± \(theirs)")
        }
    }

    private func perRunAsymptotes(world: World, policy: Policy, generator: inout Generator, runs: Int) throws -> [Double] {
        guard case .fast(var master) = generator else { throw CancellationError() }
        let key = master.next()
        generator = .fast(master)
        return (0..<runs).map { r in
            var run = Run(world: world, policy: policy, generator: .fast(Xoshiro256(key: key, stream: UInt64(r))), oracleValue: 0)
            return numpyMean(Array(Experiment.play(&run, schedule: Schedule()).dropFirst(4)))
        }
    }

    @Test("the oracle: exact enumeration against a direct average")
    func oracle() throws {
        var generator = Generator(kind: .default, seed: 8)
        let world = try World.draw(features: 6, actions: 9, noise: 0.2, using: &generator)
        var best = 0.0, uniform = 0.0
        for pattern in 0..<32 {
            let context = UInt64(pattern) << 1 | 1
            let values = (0..<9).map { world.expectedViewingTime(context: context, action: $0) }
            best += values.max()!
            uniform += values.reduce(0, +) / 9
        }
        let oracle = world.oracle()
        #expect(oracle.exact)
        #expect(abs(oracle.best - best / 32) < 1e-12)
        #expect(abs(oracle.uniform - uniform / 32) < 1e-12)
        #expect(oracle.best > oracle.uniform)
    }

    @Test("worlds refuse impossible shapes")
    func worldValidation() {
        #expect(throws: WorldError.self) { try World(features: 0, actions: 3, noise: 0.1, weights: []) }
        #expect(throws: WorldError.self) { try World(features: 65, actions: 1, noise: 0.1, weights: []) }
        #expect(throws: WorldError.self) { try World(features: 2, actions: 0, noise: 0.1, weights: []) }
        #expect(throws: WorldError.self) { try World(features: 2, actions: 2, noise: -1, weights: [0, 0, 0, 0]) }
        #expect(throws: WorldError.self) { try World(features: 2, actions: 2, noise: 0.1, weights: [0, 0, 0]) }
        #expect(throws: WorldError.self) { try World(features: 1, actions: 1, noise: 0.1, weights: [.nan]) }
    }
}
