// Typed arguments: how a command declares them, how they are parsed, and what handlers receive.

import BanditCore

/// What kind of value an argument takes; parsing, checks, help and completion follow from it.
public enum ArgumentKind: Sendable {
    case integer(ClosedRange<Int>)
    case real(ClosedRange<Double>)
    /// One of fixed words.
    case choice([String])
    /// Some of fixed words, comma-separated, each once (`ips,dr`).
    case list([String])
    /// A name for something new (letters, digits, `.`, `_`, `-`).
    case name
    /// An existing experiment's name.
    case experiment
    /// A policy, in the words of `PolicyWords`.
    case policy
    /// A file for the client to write, at this path (`Command.outputFiles` finds it in the line).
    case path
    /// A file for the client to write, at a path with this extension (`.svg`): an optional one is
    /// left out when the word is not such a path but suits the next argument (`plot greedy ts:30`).
    case file(extension: String)
    /// A file the command reads, at a path relative to the client's directory (`import logs FILE`).
    case inputFile
    /// The rest of the line, word by word, which the handler parses (`sweep plan compare ...`).
    case rest
    /// A command's name.
    case command
    /// A job's id (an integer from 1), completed from the jobs that can take this `role`.
    case job(JobRole)
}

/// Which jobs a job argument names: ones running now (`wait`, `cancel`), stopped ones (`resume`),
/// or finished `runs`/`compare` jobs, whose runs can be evaluated (`evaluate`).
public enum JobRole: Sendable {
    case running, stopped, finished
}

/// One argument of a command: positional, or introduced by a keyword (`seed N`).
public struct ArgumentSpec: Sendable {
    public let name: String
    public let kind: ArgumentKind
    public let keyword: String?
    public let optional: Bool
    public let repeating: Bool
    public let help: String

    /// The argument names a file the client writes.
    var writesFile: Bool {
        switch kind {
        case .path, .file: true
        default: false
        }
    }

    /// How the argument reads in a synopsis: `NAME`, `[N]`, `[seed N]`, `POLICY...`, `decisions|days|runs`.
    public var synopsis: String {
        var text: String
        switch kind {
        case .choice(let words) where keyword == nil: text = words.joined(separator: "|")
        case .list(let words): text = words.joined(separator: ",")
        case .policy where !repeating: text = PolicyWords.synopsis
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

/// The values `bind` gave a command's arguments, by argument name, each parsed and checked.
public struct Arguments: Sendable, Equatable {
    var values: [String: [ArgumentValue]] = [:]

    func has(_ name: String) -> Bool { values[name] != nil }
}

/// An argument as its command declares it: the table, help, completion and the man page read its spec.
public protocol DeclaredArgument: Sendable {
    var spec: ArgumentSpec { get }
}

/// A command's argument with the type its handler reads, as swift-argument-parser's properties
/// are: declared once beside the handler, parsed and range-checked by `bind`, read as `call[days]`.
public struct Argument<Value: Sendable>: DeclaredArgument {
    public let spec: ArgumentSpec
    /// The value from what `bind` stored (nothing when the argument was not given). `bind` has
    /// checked presence, kind and range, so a mismatch here is a bug in this file.
    let read: @Sendable ([ArgumentValue]) -> Value

    init(_ name: String, _ kind: ArgumentKind, keyword: String? = nil, optional: Bool = false, repeating: Bool = false,
         help: String, read: @escaping @Sendable ([ArgumentValue]) -> Value) {
        spec = ArgumentSpec(name: name, kind: kind, keyword: keyword, optional: optional, repeating: repeating, help: help)
        self.read = read
    }
}

private func bound(_ values: [ArgumentValue], _ name: String) -> ArgumentValue {
    guard let value = values.first else { preconditionFailure("bind leaves no required argument \(name) out") }
    return value
}

private func integer(_ value: ArgumentValue) -> Int {
    guard case .integer(let n) = value else { preconditionFailure("an integer argument holds \(value)") }
    return n
}

private func word(_ value: ArgumentValue) -> String {
    guard case .word(let text) = value else { preconditionFailure("a word argument holds \(value)") }
    return text
}

extension Argument where Value == Int {
    /// A required integer.
    static func integer(_ name: String, _ range: ClosedRange<Int>, help: String) -> Self {
        Self(name, .integer(range), help: help) { BanditCommands.integer(bound($0, name)) }
    }

    /// An optional integer, positional or after `keyword`; `default` when not given.
    static func integer(_ name: String, _ range: ClosedRange<Int>, keyword: String? = nil, default value: Int, help: String) -> Self {
        Self(name, .integer(range), keyword: keyword, optional: true, help: help) { $0.first.map(BanditCommands.integer) ?? value }
    }
}

extension Argument where Value == Int? {
    /// An optional integer with no default (its absence means something: the latest job, every post).
    static func optionalInteger(_ name: String, _ range: ClosedRange<Int>, keyword: String? = nil, help: String) -> Self {
        Self(name, .integer(range), keyword: keyword, optional: true, help: help) { $0.first.map(BanditCommands.integer) }
    }
}

extension Argument where Value == Double {
    /// An optional number after `keyword`; `default` when not given.
    static func real(_ name: String, _ range: ClosedRange<Double>, keyword: String, default value: Double, help: String) -> Self {
        Self(name, .real(range), keyword: keyword, optional: true, help: help) { values in
            switch values.first {
            case .real(let x)?: x
            case .integer(let n)?: Double(n)
            case nil: value
            case let other?: preconditionFailure("a number argument holds \(other)")
            }
        }
    }
}

extension Argument where Value == Double? {
    /// An optional number after `keyword`, with no default.
    static func optionalReal(_ name: String, _ range: ClosedRange<Double>, keyword: String, help: String) -> Self {
        Self(name, .real(range), keyword: keyword, optional: true, help: help) { values in
            switch values.first {
            case .real(let x)?: x
            case .integer(let n)?: Double(n)
            case nil: nil
            case let other?: preconditionFailure("a number argument holds \(other)")
            }
        }
    }
}

extension Argument where Value == String {
    /// A required word of `kind` (a new name, an existing experiment, a path).
    static func word(_ name: String, _ kind: ArgumentKind, help: String) -> Self {
        Self(name, kind, help: help) { BanditCommands.word(bound($0, name)) }
    }
}

extension Argument where Value == String? {
    /// An optional word of `kind`.
    static func optionalWord(_ name: String, _ kind: ArgumentKind, help: String) -> Self {
        Self(name, kind, optional: true, help: help) { $0.first.map(BanditCommands.word) }
    }
}

extension Argument where Value: RawRepresentable & CaseIterable & Sendable, Value.RawValue == String {
    /// One of `Value`'s cases, by its raw value: required, or after `keyword` with a default.
    static func choice(_ name: String, keyword: String? = nil, default value: Value? = nil, help: String) -> Self {
        Self(name, .choice(Value.allCases.map(\.rawValue)), keyword: keyword, optional: value != nil, help: help) { values in
            guard let given = values.first else {
                guard let value else { preconditionFailure("bind leaves no required argument \(name) out") }
                return value
            }
            guard let chosen = Value(rawValue: BanditCommands.word(given)) else { preconditionFailure("\(given) is not a choice") }
            return chosen
        }
    }
}

/// The ids jobs get.
let jobIDs = 1...Int(Int32.max)

extension Argument where Value == Int {
    /// A job's id, required.
    static func job(_ name: String, _ role: JobRole, help: String) -> Self {
        Self(name, .job(role), help: help) { BanditCommands.integer(bound($0, name)) }
    }
}

extension Argument where Value == Int? {
    /// A job's id, positional or after `keyword`, or nil when not given.
    static func optionalJob(_ name: String, _ role: JobRole, keyword: String? = nil, help: String) -> Self {
        Self(name, .job(role), keyword: keyword, optional: true, help: help) { $0.first.map(BanditCommands.integer) }
    }
}

extension Argument {
    /// Some of `Choice`'s cases after `keyword`, comma-separated, in the order given; all of them
    /// in their declared order when the argument is not given.
    static func list<Choice>(_ keyword: String, help: String) -> Self
    where Value == [Choice], Choice: RawRepresentable & CaseIterable & Sendable, Choice.RawValue == String {
        let words = Choice.allCases.map(\.rawValue)
        return Self(words.joined(separator: ","), .list(words), keyword: keyword, optional: true, help: help) { values in
            guard let given = values.first else { return Array(Choice.allCases) }
            return BanditCommands.word(given).split(separator: ",").map {
                guard let chosen = Choice(rawValue: String($0)) else { preconditionFailure("\($0) is not a choice") }
                return chosen
            }
        }
    }
}

extension Argument {
    /// A word that may be given or not (`new e replace`, `set keep summaries`): one of `Choice`'s
    /// cases, positional or after `keyword`, or nil.
    static func optionalChoice<Choice>(_ name: String, keyword: String? = nil, help: String) -> Self
    where Value == Choice?, Choice: RawRepresentable & CaseIterable & Sendable, Choice.RawValue == String {
        Self(name, .choice(Choice.allCases.map(\.rawValue)), keyword: keyword, optional: true, help: help) { values in
            values.first.map { given in
                guard let chosen = Choice(rawValue: BanditCommands.word(given)) else { preconditionFailure("\(given) is not a choice") }
                return chosen
            }
        }
    }
}

extension Argument where Value == Policy {
    static func policy(_ name: String, help: String) -> Self {
        Self(name, .policy, help: help) { values in
            guard case .policy(let policy) = bound(values, name) else { preconditionFailure("a policy argument holds \(values)") }
            return policy
        }
    }
}

extension Argument where Value == [String] {
    /// Every word left on the line, as typed.
    static func rest(_ name: String, help: String) -> Self {
        Self(name, .rest, optional: true, repeating: true, help: help) { values in values.map(BanditCommands.word) }
    }
}

extension Argument where Value == [Policy] {
    /// Any number of policies, each once (a repeated one is left out), in the order given.
    static func policies(_ name: String, optional: Bool, help: String) -> Self {
        // As typed, repeats included: `compare` refuses them, `plot` shows each curve once.
        Self(name, .policy, optional: optional, repeating: true, help: help) { values in
            var policies: [Policy] = []
            for case .policy(let policy) in values { policies.append(policy) }
            return policies
        }
    }
}

/// Parses one argument from `tokens` (at least one); returns the value and how many tokens it used.
func parseArgument(_ spec: ArgumentSpec, _ tokens: ArraySlice<String>) throws(CommandError) -> (ArgumentValue, Int) {
    let token = tokens[tokens.startIndex]
    let label = spec.keyword ?? spec.name
    switch spec.kind {
    case .job:
        guard let value = Int(token), jobIDs.contains(value) else {
            throw .badValue("\(label) must be a job id from \(jobIDs.lowerBound) to \(jobIDs.upperBound), not '\(echo(token))'")
        }
        return (.integer(value), 1)
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
            if words.count == 1 { throw .badValue("expected '\(words[0])' here, not '\(echo(token))'") }
            throw .badValue("\(label) must be one of \(words.joined(separator: ", ")), not '\(echo(token))'")
        }
        return (.word(word), 1)
    case .list(let words):
        let items = token.lowercased().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        for item in items where !words.contains(item) {
            throw .badValue("\(label) takes some of \(words.joined(separator: ", ")), separated by commas, not '\(echo(item))'")
        }
        if let repeated = items.first(where: { item in items.count { $0 == item } > 1 }) {
            throw .badValue("\(label): \(repeated) is named twice")
        }
        return (.word(items.joined(separator: ",")), 1)
    case .name:
        guard isValidName(token) else {
            throw .badValue("\(label) must be 1 to 64 letters, digits, '.', '_' or '-' (starting with a letter or digit), not '\(echo(token))'")
        }
        return (.word(token), 1)
    case .file(let fileExtension):
        guard token.lowercased().hasSuffix(".\(fileExtension)") else {
            throw .badValue("\(label) must end in .\(fileExtension), not '\(echo(token))'")
        }
        return (.word(token), 1)
    case .experiment, .path, .command, .inputFile, .rest:
        return (.word(token), 1)
    case .policy:
        return try PolicyWords.parse(tokens)
    }
}

private func formatBound(_ value: Double) -> String {
    value == value.rounded() && value.magnitude < 1e15 ? String(Int(value)) : "\(value)"
}

public func isValidName(_ text: String) -> Bool {
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
