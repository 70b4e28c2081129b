// The numpy generator replays the notebook: same world, same curves, to the last bit.

import BanditCore
import BanditTestSupport
import Testing

@Suite("Parity with the notebook")
struct ParityTests {
    /// The notebook's protocol: seed, draw the world, greedy; reseed, ε-greedy; reseed, Thompson sampling.
    static func replay(_ reference: NotebookReference) throws -> (World, [String: Curve]) {
        var generator = Generator(kind: .numpy, seed: reference.seed)
        let world = try World.draw(features: reference.features, actions: reference.actions, noise: 0.1, using: &generator)
        let schedule = Schedule(decisionsPerDay: reference.decisions, days: reference.days, runs: reference.runs)
        let oracle = world.oracle().best
        var curves: [String: Curve] = [:]
        let policies: [(String, Policy)] = [
            ("greedy", .greedy), ("eps", .epsilonGreedy(reference.epsilon)), ("ts", .thompson(reference.bootstrap)),
        ]
        for (index, (key, policy)) in policies.enumerated() {
            if index > 0 { generator = Generator(kind: .numpy, seed: reference.seed) }
            curves[key] = Experiment.runSequences(
                world: world, policy: policy, schedule: schedule, generator: &generator, oracleValue: oracle)
        }
        return (world, curves)
    }

    static func expectIdentical(_ curve: Curve, _ expected: (mean: [Double], se: [Double], asymptote: Double), _ what: String) {
        #expect(curve.mean.count == expected.mean.count)
        let worstMean = zip(curve.mean, expected.mean).map { abs($0 - $1) }.max() ?? .infinity
        let worstSE = zip(curve.standardError, expected.se).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worstMean <= 1e-9, "\(what) mean differs by \(worstMean)")
        #expect(worstSE <= 1e-9, "\(what) SE differs by \(worstSE)")
        // Stronger than the tolerance: every bit.
        #expect(curve.mean.map(\.bitPattern) == expected.mean.map(\.bitPattern), "\(what) mean not bit-identical")
        #expect(curve.standardError.map(\.bitPattern) == expected.se.map(\.bitPattern), "\(what) SE not bit-identical")
        #expect(curve.asymptote?.bitPattern == expected.asymptote.bitPattern, "\(what) asymptote")
    }

    @Test("seed 17, 5 features, 30 posts, 10 runs × 14 days × 100 decisions: greedy, eps 0.1, ts 30")
    func notebook() throws {
        let reference = try NotebookReference(fixture: "notebook17")
        let (world, curves) = try Self.replay(reference)
        #expect(world.weights.map(\.bitPattern) == reference.weights.map(\.bitPattern))
        for key in ["greedy", "eps", "ts"] {
            Self.expectIdentical(try #require(curves[key]), try #require(reference.curves[key]), key)
        }
        // The figures the notebook shows.
        #expect(abs(try #require(curves["greedy"]?.asymptote) - 1.67) < 0.005)
        #expect(abs(try #require(curves["eps"]?.asymptote) - 2.01) < 0.005)
        #expect(abs(try #require(curves["ts"]?.asymptote) - 2.07) < 0.005)
    }

    @Test("seed 7, 8 features, 12 posts, 6 runs × 10 days × 50 decisions: greedy, eps 0.2, ts 7")
    func otherConfiguration() throws {
        let reference = try NotebookReference(fixture: "config7")
        let (world, curves) = try Self.replay(reference)
        #expect(world.weights.map(\.bitPattern) == reference.weights.map(\.bitPattern))
        for key in ["greedy", "eps", "ts"] {
            Self.expectIdentical(try #require(curves[key]), try #require(reference.curves[key]), key)
        }
    }
}
