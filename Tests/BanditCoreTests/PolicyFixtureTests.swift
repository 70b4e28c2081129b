// The policies beyond the notebook against an independent numpy/scipy computation of their fits,
// scores and propensities (`scripts/fixtures/policies.py`, `Tests/Support/Fixtures/policies.json`).

@testable import BanditCore
import BanditTestSupport
import Foundation
import Testing

@Suite("Policies against the Python reference")
struct PolicyFixtureTests {
    /// One case of the fixture: a log of decisions, the contexts queried, and what each policy makes of them.
    struct Case {
        let name: String
        let features, actions: Int
        let decisions: [(context: UInt64, action: Int, reward: Double)]
        let object: [String: Any]

        static func all() throws -> [Case] {
            let root = try #require(try Fixture.json("policies") as? [String: Any])
            let cases = try #require(root["cases"] as? [[String: Any]])
            return cases.map { object in
                let decisions = (object["decisions"] as! [[Any]]).map {
                    (UInt64($0[0] as! Int), $0[1] as! Int, ($0[2] as! NSNumber).doubleValue)
                }
                return Case(name: object["name"] as! String, features: object["features"] as! Int,
                            actions: object["actions"] as! Int, decisions: decisions, object: object)
            }
        }

        /// A recommender for `policy` that has recorded the whole log and fitted once.
        func fitted(_ policy: Policy, ridge: Double = 1, members: Int = 1, bagKey: UInt64 = 0) -> Recommender {
            var recommender = Recommender(policy: policy, features: features, actions: actions, ridge: ridge, members: members,
                                          coefficients: [Double](repeating: 0, count: members * features * actions), fits: 0,
                                          bagKey: bagKey)
            for d in decisions { recommender.record(context: d.context, action: d.action, reward: d.reward) }
            var unused = Xoshiro256(seed: 0)
            recommender.fit(using: &unused)
            return recommender
        }

        /// The fitted coefficients of member m as the fixture lists them: per post, per feature.
        func perPost(_ recommender: Recommender, member m: Int = 0) -> [[Double]] {
            let d = features, k = actions
            return (0..<k).map { a in (0..<d).map { j in recommender.coefficients[(m * d + j) * k + a] } }
        }

        func queries(_ section: String, _ parameter: String) -> [[String: Any]] {
            (object[section] as! [String: Any])[parameter] as! [[String: Any]]
        }
    }

    static func numbers(_ value: Any?) -> [Double] { (value as! [NSNumber]).map(\.doubleValue) }

    /// |x − y| ≤ tolerance·max(1, |y|), element by element.
    static func close(_ x: [Double], _ y: [Double], _ tolerance: Double) -> Bool {
        x.count == y.count && zip(x, y).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
    }

    @Test("least squares (the notebook's pinv fit, rank-deficient posts included) and ridge regressions")
    func fits() throws {
        for c in try Case.all() {
            let expected = (c.object["least_squares"] as! [[NSNumber]]).map { $0.map(\.doubleValue) }
            let greedy = c.perPost(c.fitted(.greedy))
            for a in 0..<c.actions { #expect(Self.close(greedy[a], expected[a], 1e-9), "\(c.name) post \(a)") }
            for (lambda, fixture) in c.object["ridge"] as! [String: [String: Any]] {
                let ridge = Double(lambda)!
                var linucb = c.fitted(.linUCB(1), ridge: ridge)
                let betas = (fixture["beta"] as! [[NSNumber]]).map { $0.map(\.doubleValue) }
                let fitted = c.perPost(linucb)
                for a in 0..<c.actions { #expect(Self.close(fitted[a], betas[a], 1e-11), "\(c.name) λ \(lambda) post \(a)") }
                // A⁻¹ seen through the spread of each single-feature context e₀ + e_j: (A⁻¹)₀₀ + 2(A⁻¹)₀ⱼ + (A⁻¹)ⱼⱼ.
                let inverses = (fixture["inverse"] as! [[NSNumber]]).map { $0.map(\.doubleValue) }
                let d = c.features
                for j in 0..<d {
                    let context: UInt64 = 1 | 1 << UInt64(j)
                    let spreads = linucb.linearScores(context: context, scale: 1).spreads
                    let expected = (0..<c.actions).map { a in
                        let m = inverses[a]
                        return (j == 0 ? m[0] : m[0] + 2 * m[j] + m[j * d + j]).squareRoot()
                    }
                    #expect(Self.close(spreads, expected, 1e-11), "\(c.name) λ \(lambda) feature \(j)")
                }
            }
        }
    }

    @Test("LinUCB: scores, the tied posts and their propensities 1/ties")
    func linUCB() throws {
        for c in try Case.all() {
            for (alpha, queries) in c.object["linucb"] as! [String: [[String: Any]]] {
                var recommender = c.fitted(.linUCB(Double(alpha)!))
                for query in queries {
                    let context = UInt64(query["context"] as! Int)
                    let (means, spreads) = recommender.linearScores(context: context, scale: 1)
                    let scores = zip(means, spreads).map { $0 + Double(alpha)! * $1 }
                    #expect(Self.close(scores, Self.numbers(query["scores"]), 1e-11), "\(c.name) α \(alpha) \(context)")
                    #expect(recommender.propensities(context: context) == Self.numbers(query["propensities"]),
                            "\(c.name) α \(alpha) context \(context): best \(query["best"]!)")
                }
            }
        }
    }

    @Test("LinTS: score means and deviations, and the exact probability of each post being the largest")
    func linTS() throws {
        for c in try Case.all() {
            for (scale, queries) in c.object["lints"] as! [String: [[String: Any]]] {
                var recommender = c.fitted(.linTS(Double(scale)!))
                for query in queries {
                    let context = UInt64(query["context"] as! Int)
                    let (means, spreads) = recommender.linearScores(context: context, scale: Double(scale)!)
                    #expect(Self.close(means, Self.numbers(query["mean"]), 1e-11))
                    #expect(Self.close(spreads, Self.numbers(query["sd"]), 1e-11))
                    let p = recommender.propensities(context: context), expected = Self.numbers(query["probabilities"])
                    let worst = zip(p, expected).map { abs($0 - $1) }.max()!
                    #expect(worst < 1e-12, "\(c.name) v \(scale) context \(context): off by \(worst)")
                }
            }
        }
    }

    @Test("softmax over the least-squares predictions")
    func softmax() throws {
        for c in try Case.all() {
            for (temperature, queries) in c.object["softmax"] as! [String: [[String: Any]]] {
                var recommender = c.fitted(.softmax(Double(temperature)!))
                for query in queries {
                    let context = UInt64(query["context"] as! Int)
                    let p = recommender.propensities(context: context), expected = Self.numbers(query["probabilities"])
                    // Relative: at τ = 0.05 some probabilities are 1e-21.
                    let worst = zip(p, expected).map { abs($0 - $1) / max($1, 1e-300) }.max()!
                    #expect(worst < 1e-9, "\(c.name) τ \(temperature) context \(context): relative error \(worst)")
                }
            }
        }
    }

    @Test("epsdecay: ε = min(1, c/t) around the greedy post, day by day")
    func epsilonDecay() throws {
        for c in try Case.all() {
            for (constant, days) in c.object["epsdecay"] as! [String: [String: [String: Any]]] {
                var recommender = c.fitted(.epsilonDecay(Double(constant)!))
                for (day, fixture) in days {
                    recommender.beginDay(Int(day)!, warmup: 0)
                    #expect(Recommender.decayedEpsilon(Double(constant)!, day: Int(day)!) == (fixture["epsilon"] as! NSNumber).doubleValue)
                    for query in fixture["queries"] as! [[String: Any]] {
                        let p = recommender.propensities(context: UInt64(query["context"] as! Int))
                        #expect(Self.close(p, Self.numbers(query["propensities"]), 1e-15), "\(c.name) c \(constant) day \(day)")
                    }
                }
            }
        }
    }

    @Test("online bootstrap: the Poisson weights of every decision and member, and each member's ridge fit")
    func onlineBootstrap() throws {
        let root = try #require(try Fixture.json("policies") as? [String: Any])
        for check in root["splitmix_check"] as! [[String: Any]] {
            let key = UInt64(check["key"] as! String)!, counter = UInt64(check["counter"] as! Int)
            #expect(OnlineBootstrap.weight(key: key, counter: counter) == check["weight"] as! Int, "counter \(counter)")
        }
        for c in try Case.all() {
            let ots = c.object["ots"] as! [String: Any]
            let members = ots["members"] as! Int, ridge = (ots["ridge"] as! NSNumber).doubleValue
            for (keyText, fixture) in ots["keys"] as! [String: [String: Any]] {
                let key = UInt64(keyText)!
                let weights = fixture["weights"] as! [[Int]]
                for (i, row) in weights.enumerated() {
                    let ours = (0..<members).map { OnlineBootstrap.weight(key: key, counter: UInt64(i * members + $0)) }
                    #expect(ours == row, "\(c.name) key \(keyText) decision \(i)")
                }
                let recommender = c.fitted(.onlineBootstrap(members), ridge: ridge, members: members, bagKey: key)
                let betas = fixture["beta"] as! [[[NSNumber]]]
                for m in 0..<members {
                    let fitted = c.perPost(recommender, member: m)
                    for a in 0..<c.actions {
                        #expect(Self.close(fitted[a], betas[m][a].map(\.doubleValue), 1e-11), "\(c.name) member \(m) post \(a)")
                    }
                }
            }
        }
    }
}
