// The words that name a policy on a command line, once: parsing, the synopsis and completion read them.

import BanditCore

/// `greedy`, `eps E`, `ts B`, `linucb A`, …, or a canonical label (`eps:0.1`, `ts:30`) as stored and shown.
enum PolicyWords {
    /// One way of naming a policy: its word, the words that mean the same, and its parameter.
    struct Word {
        let word: String
        let aliases: [String]
        /// The parameter's placeholder (`E`, `B`), and what a missing one should say.
        let parameter: (placeholder: String, missing: String)?
        /// A canonical label to offer in completion, with a typical parameter.
        let example: String?
    }

    static let words = [
        Word(word: "greedy", aliases: [], parameter: nil, example: nil),
        Word(word: "eps", aliases: ["epsilon"], parameter: ("E", "eps needs a value: eps E, with E between 0 and 1"),
             example: "eps:0.1"),
        Word(word: "ts", aliases: ["thompson"], parameter: ("B", "ts needs a value: ts B, with B bootstrap replicates ≥ 1"),
             example: "ts:30"),
        Word(word: "ots", aliases: [], parameter: ("B", "ots needs a value: ots B, with B online bootstrap members ≥ 1"),
             example: "ots:30"),
        Word(word: "linucb", aliases: [], parameter: ("ALPHA", "linucb needs a value: linucb ALPHA, with the exploration weight α ≥ 0"),
             example: "linucb:1"),
        Word(word: "lints", aliases: [], parameter: ("V", "lints needs a value: lints V, with the posterior scale V ≥ 1e-6"),
             example: "lints:0.1"),
        Word(word: "softmax", aliases: [], parameter: ("T", "softmax needs a value: softmax T, with the temperature T > 0"),
             example: "softmax:0.05"),
        Word(word: "epsdecay", aliases: [], parameter: ("C", "epsdecay needs a value: epsdecay C, with ε = min(1, C/day), C > 0"),
             example: "epsdecay:5"),
        Word(word: "uniform", aliases: ["random"], parameter: nil, example: nil),
    ]

    /// `greedy|eps E|ts B`.
    static var synopsis: String {
        words.map { word in word.parameter.map { "\(word.word) \($0.placeholder)" } ?? word.word }.joined(separator: "|")
    }

    /// What completion offers where a policy goes.
    static var completions: [String] { words.map(\.word) + words.compactMap(\.example) }

    /// Whether `token` is a word that takes its parameter as the next token (`eps 0.1`).
    static func takesParameter(_ token: String) -> Bool {
        words.contains { $0.parameter != nil && ($0.word == token.lowercased() || $0.aliases.contains(token.lowercased())) }
    }

    /// A policy from the first one or two tokens; the value and how many tokens it used.
    static func parse(_ tokens: ArraySlice<String>) throws(CommandError) -> (ArgumentValue, Int) {
        let first = tokens[tokens.startIndex].lowercased()
        do {
            guard let word = words.first(where: { $0.word == first || $0.aliases.contains(first) }) else {
                return (.policy(try Policy(label: first)), 1)
            }
            guard let parameter = word.parameter else { return (.policy(try Policy(label: word.word)), 1) }
            guard let value = tokens.dropFirst().first else { throw CommandError.badValue(parameter.missing) }
            return (.policy(try Policy(label: "\(word.word):\(value)")), 2)
        } catch let error as PolicyError {
            throw .badValue(error.description)
        } catch let error as CommandError {
            throw error
        } catch {
            throw .badValue("\(error)")
        }
    }
}
