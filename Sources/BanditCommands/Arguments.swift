// Typed arguments: how a command declares them, how they are parsed, and what handlers receive.

import BanditCore

/// What kind of value an argument takes; parsing, checks, help and completion follow from it.
public enum ArgumentKind: Sendable {
    case integer(ClosedRange<Int>)
    case real(ClosedRange<Double>)
    /// One of fixed words.
    case choice([String])
    /// A name for something new (letters, digits, `.`, `_`, `-`).
    case name
    /// An existing experiment's name.
    case experiment
    /// `greedy`, `eps E`, `ts B`, or a canonical label `eps:E`, `ts:B`.
    case policy
    /// A file path.
    case path
    /// A command's name.
    case command
}

/// One argument of a command: positional, or introduced by a keyword (`seed N`).
public struct ArgumentSpec: Sendable {
    public let name: String
    public let kind: ArgumentKind
    public let keyword: String?
    public let optional: Bool
    public let repeating: Bool
    public let help: String

    public static func positional(_ name: String, _ kind: ArgumentKind, optional: Bool = false, repeating: Bool = false,
                                  help: String) -> ArgumentSpec {
        ArgumentSpec(name: name, kind: kind, keyword: nil, optional: optional, repeating: repeating, help: help)
    }

    public static func keyword(_ keyword: String, _ name: String, _ kind: ArgumentKind, help: String) -> ArgumentSpec {
        ArgumentSpec(name: name, kind: kind, keyword: keyword, optional: true, repeating: false, help: help)
    }

    /// How the argument reads in a synopsis: `NAME`, `[N]`, `[seed N]`, `POLICY...`, `decisions|days|runs`.
    public var synopsis: String {
        var text: String
        switch kind {
        case .choice(let words) where keyword == nil: text = words.joined(separator: "|")
        case .policy where !repeating: text = "greedy|eps E|ts B"
        default: text = name
        }
        if let keyword { text = "\(keyword) \(text)" }
        if repeating { text += "..." }
        return optional ? "[\(text)]" : text
    }
}

/// A parsed argument value.
public enum ArgumentValue: Sendable, Equatable {
    case integer(Int)
    case real(Double)
    case word(String)
    case policy(Policy)
}

/// The values bound to a command's arguments, by argument name.
public struct Arguments: Sendable, Equatable {
    public var values: [String: [ArgumentValue]] = [:]

    public init() {}

    public func integer(_ name: String) -> Int? {
        if case .integer(let value) = values[name]?.first { return value }
        return nil
    }

    public func real(_ name: String) -> Double? {
        switch values[name]?.first {
        case .real(let value): value
        case .integer(let value): Double(value)
        default: nil
        }
    }

    public func word(_ name: String) -> String? {
        if case .word(let value) = values[name]?.first { return value }
        return nil
    }

    public func policies(_ name: String) -> [Policy] {
        (values[name] ?? []).compactMap { if case .policy(let p) = $0 { p } else { nil } }
    }

    public func has(_ name: String) -> Bool { values[name] != nil }
}

/// Parses one argument from `tokens` (at least one); returns the value and how many tokens it used.
func parseArgument(_ spec: ArgumentSpec, _ tokens: ArraySlice<String>) throws(CommandError) -> (ArgumentValue, Int) {
    let token = tokens[tokens.startIndex]
    let label = spec.keyword ?? spec.name
    switch spec.kind {
    case .integer(let range):
        guard let value = Int(token), range.contains(value) else {
            throw .badValue("\(label) must be an integer from \(range.lowerBound) to \(range.upperBound), not '\(echo(token))'")
        }
        return (.integer(value), 1)
    case .real(let range):
        guard let value = Double(token), value.isFinite, range.contains(value) else {
            throw .badValue("\(label) must be a number from \(formatBound(range.lowerBound)) to \(formatBound(range.upperBound)), not '\(echo(token))'")
        }
        return (.real(value), 1)
    case .choice(let words):
        guard let word = words.first(where: { $0 == token.lowercased() }) else {
            throw .badValue("\(label) must be one of \(words.joined(separator: ", ")), not '\(echo(token))'")
        }
        return (.word(word), 1)
    case .name:
        guard isValidName(token) else {
            throw .badValue("\(label) must be 1 to 64 letters, digits, '.', '_' or '-' (starting with a letter or digit), not '\(echo(token))'")
        }
        return (.word(token), 1)
    case .experiment, .path, .command:
        return (.word(token), 1)
    case .policy:
        return try parsePolicy(tokens)
    }
}

private func formatBound(_ value: Double) -> String {
    value == value.rounded() && value.magnitude < 1e15 ? String(Int(value)) : "\(value)"
}

/// `greedy` · `eps E` · `ts B` · `eps:E` · `ts:B`.
private func parsePolicy(_ tokens: ArraySlice<String>) throws(CommandError) -> (ArgumentValue, Int) {
    let first = tokens[tokens.startIndex].lowercased()
    let next = tokens.dropFirst().first
    do {
        switch first {
        case "greedy": return (.policy(.greedy), 1)
        case "eps", "epsilon":
            guard let next else { throw CommandError.badValue("eps needs a value: eps E, with E between 0 and 1") }
            return (.policy(try Policy(label: "eps:\(next)")), 2)
        case "ts", "thompson":
            guard let next else { throw CommandError.badValue("ts needs a value: ts B, with B bootstrap replicates ≥ 1") }
            return (.policy(try Policy(label: "ts:\(next)")), 2)
        default: return (.policy(try Policy(label: first)), 1)
        }
    } catch let error as PolicyError {
        throw .badValue(error.description)
    } catch let error as CommandError {
        throw error
    } catch {
        throw .badValue("\(error)")
    }
}

func isValidName(_ text: String) -> Bool {
    guard (1...64).contains(text.count), let first = text.unicodeScalars.first,
          first.properties.isAlphabetic || ("0"..."9").contains(Character(first)) else { return false }
    return text.unicodeScalars.allSatisfy {
        ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains(Character($0)))) || "._-".unicodeScalars.contains($0)
    }
}

/// A command failed or was refused; the sentence is what the user sees.
public enum CommandError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownCommand(String)
    case ambiguousCommand(String, [String])
    case usage(String)
    case badValue(String)
    case failed(String)

    public var description: String {
        switch self {
        case .unknownCommand(let word): "unknown command: \(echo(word)) (type 'help' for the list)"
        case .ambiguousCommand(let word, let candidates): "ambiguous command: \(echo(word)), could be: \(candidates.joined(separator: ", "))"
        case .usage(let text), .badValue(let text), .failed(let text): text
        }
    }
}
