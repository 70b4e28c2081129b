// 10,000 random and mutated lines: no crash, and no state change from any rejected command.

@testable import BanditCommands
import BanditCore
import Foundation
import BanditTestSupport
import Testing

@Suite("Fuzzing the interpreter")
struct FuzzTests {
    /// Valid lines to mutate, covering every command.
    static let corpus = [
        "new a", "new b rng numpy seed 17", "use a", "use b", "experiments", "drop b", "seed 17", "world",
        "world features 5 actions 30", "world features 3 actions 4 noise 0.2", "set decisions 20", "set days 3", "set runs 2",
        "settings", "policy greedy", "policy eps 0.1", "policy ts 3", "policy eps:0.5", "day", "day 2", "fit", "step 2", "reset",
        "runs 2 days 2", "compare greedy ts:2 runs 2 days 2", "jobs", "resume", "stats", "betas", "betas 1", "log 5",
        "plot", "plot out.svg greedy", "export curves c.csv", "export decisions d.csv", "help", "help runs", "quit",
    ]
    /// Tokens to splice in: boundaries, wrong types, syntax characters. No '/' (files stay in the sandbox).
    static let pool = [
        "0", "1", "-1", "2", "63", "64", "100000", "4294967295", "4294967296", "99999999999999999999", "1e308", "-0", "nan",
        "inf", "0.5", "1.5", "-0.1", "x", "", "eps", "ts", "greedy", "eps:", "ts:0", "eps:2", "features", "actions", "noise",
        "rng", "seed", "numpy", "default", "runs", "days", "decisions", ";", "#", "&", "'", "\"", "a", "b", "é", "⠿", "\t",
        "policy", "world", "day", "new", "drop", "curves", "decisions", "x.svg", "y.csv", "..", "a;b", "st", "s", "e",
    ]

    @Test("10,000 lines: no crash, rejected commands change nothing")
    func fuzz() throws {
        let directory = temporaryDirectory()
        let session = try makeSession(directory)
        defer { session.workspace.store.close() }
        let interpreter = Interpreter(session: session)
        var random = Xoshiro256(seed: 424242)
        var rejected = 0, accepted = 0
        for _ in 0..<10_000 {
            let line = Self.mutate(Self.corpus[random.nextInt(below: Self.corpus.count)], &random)
            let commands: [ParsedCommand]
            do {
                commands = try parseLine(line)
            } catch {
                rejected += 1
                continue
            }
            for var command in commands {
                // Background jobs ('&') would change the state while later lines are checked.
                command.background = false
                let before = try session.fingerprint()
                // Long commands stop at their first day boundary, so that no line runs for long.
                let outcome = interpreter.execute(command, shouldStop: { true })
                if let error = outcome.error {
                    rejected += 1
                    #expect(!error.isEmpty && !error.contains("\n"), "\(line): '\(error)'")
                    let after = try session.fingerprint()
                    let changed = Set(after).symmetricDifference(before).map { String($0.prefix(120)) }.sorted()
                    #expect(after == before, "rejected '\(command.words.joined(separator: " "))' (\(error)) changed: \(changed)")
                } else {
                    accepted += 1
                }
            }
        }
        #expect(rejected > 2_000 && accepted > 2_000, "rejected \(rejected), accepted \(accepted)")
        #expect(try session.workspace.store.integrityCheck() == "ok")
    }

    /// Replaces, inserts, deletes or duplicates words, or garbles characters.
    static func mutate(_ line: String, _ random: inout Xoshiro256) -> String {
        var words = line.split(separator: " ").map(String.init)
        for _ in 0..<random.nextInt(below: 3) {
            let position = random.nextInt(below: words.count + 1)
            switch random.nextInt(below: 6) {
            case 0 where !words.isEmpty: words[min(position, words.count - 1)] = pool[random.nextInt(below: pool.count)]
            case 1: words.insert(pool[random.nextInt(below: pool.count)], at: position)
            case 2 where words.count > 1: words.remove(at: min(position, words.count - 1))
            case 3 where !words.isEmpty:
                var characters = Array(words[min(position, words.count - 1)])
                if !characters.isEmpty {
                    let garbage: [Character] = ["x", "0", "9", "-", ".", ":", "'", "é", "\u{0}", "%"]
                    characters[random.nextInt(below: characters.count)] = garbage[random.nextInt(below: garbage.count)]
                }
                words[min(position, words.count - 1)] = String(characters)
            case 4: words += words.prefix(2)
            default: break  // keep the valid line as it is, now and then
            }
        }
        return words.joined(separator: " ")
    }
}
