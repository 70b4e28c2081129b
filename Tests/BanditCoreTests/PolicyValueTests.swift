// The exact value of a fixed policy, against the oracle's independent arithmetic and against play.

import BanditCore
import Testing

@Suite("The value of a fixed policy")
struct PolicyValueTests {
    static func notebookWorld() throws -> World {
        var generator = Generator(kind: .numpy, seed: 17)
        return try World.draw(features: 5, actions: 30, using: &generator)
    }

    @Test("the best post everywhere is the oracle, a uniform post is the oracle's random post")
    func againstOracle() throws {
        var generator = Generator(kind: .default, seed: 31)
        for world in [try Self.notebookWorld(), try World.draw(features: 13, actions: 7, using: &generator)] {
            let oracle = world.oracle()
            let best = world.value { context in
                var p = [Double](repeating: 0, count: world.actions)
                let a = (0..<world.actions).max { world.logMean(context: context, action: $0) < world.logMean(context: context, action: $1) }!
                p[a] = 1
                return p
            }
            #expect(best.exact && best.standardError == 0)
            #expect(abs(best.value - oracle.best) < 1e-12 * oracle.best, "\(best.value) against \(oracle.best)")
            let uniform = world.value { _ in [Double](repeating: 1 / Double(world.actions), count: world.actions) }
            #expect(abs(uniform.value - oracle.uniform) < 1e-12 * oracle.uniform)
        }
    }

    @Test("beyond 20 random features: a Monte Carlo estimate within 4 standard errors of the exact uniform value")
    func monteCarlo() throws {
        var generator = Generator(kind: .default, seed: 5)
        let world = try World.draw(features: 25, actions: 9, using: &generator)
        let uniform = world.value(samples: 20_000) { _ in [Double](repeating: 1.0 / 9, count: 9) }
        #expect(!uniform.exact && uniform.standardError > 0)
        #expect(abs(uniform.value - world.oracle().uniform) < 4 * uniform.standardError)
    }

    @Test("a fitted policy's value matches what it earns when it plays, frozen, many decisions",
          arguments: [Policy.greedy, .epsilonGreedy(0.2), .softmax(0.05), .thompson(10), .linUCB(1)])
    func againstPlay(policy: Policy) throws {
        let world = try Self.notebookWorld()
        var run = Run(world: world, policy: policy, generator: Generator(kind: .default, seed: 3), oracleValue: 0, warmup: 1)
        for _ in 0..<3 {
            run.playDay(decisions: 200)
            run.fit()
        }
        var frozen = run.recommender
        let truth = world.value { frozen.propensities(context: $0) }
        // Play the frozen recommender: its decisions' expected viewing times average to the truth.
        var recommender = run.recommender, rng = Xoshiro256(seed: 11)
        let n = 200_000
        var mean = 0.0, squares = 0.0
        for i in 1...n {
            let context = rng.nextContext(features: world.features)
            let x = world.expectedViewingTime(context: context, action: recommender.decide(context: context, using: &rng).action)
            let delta = x - mean
            mean += delta / Double(i)
            squares += delta * (x - mean)
        }
        let error = (squares / Double(n - 1)).squareRoot() / Double(n).squareRoot()
        #expect(abs(mean - truth.value) < 4 * error + 1e-12, "\(policy): played \(mean) ± \(error), truth \(truth.value)")
    }
}
