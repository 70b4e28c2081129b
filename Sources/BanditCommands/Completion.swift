// Tab completion from the command table: command names, keywords, choices, policies, experiments, paths.

/// What may complete the word under the cursor.
public struct Completion: Sendable, Equatable, Codable {
    public var candidates: [String]
    /// The word is a file path: the line editor should offer file names.
    public var files: Bool

    public init(candidates: [String], files: Bool) {
        self.candidates = candidates
        self.files = files
    }
}

extension Command {
    /// Candidates for the last (possibly empty) word of `line`, the text before the cursor.
    /// `experiments` supplies existing experiment names.
    public static func complete(_ line: String, experiments: () -> [String]) -> Completion {
        var words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let current = line.last.map { $0 == " " } ?? true ? "" : (words.popLast() ?? "")
        // After a `;`, a new command starts.
        if let separator = words.lastIndex(where: { $0.hasSuffix(";") }) { words.removeSubrange(...separator) }
        func matching(_ options: [String]) -> Completion {
            Completion(candidates: options.filter { $0.hasPrefix(current.lowercased()) || $0.hasPrefix(current) }.sorted(),
                       files: false)
        }
        guard let first = words.first else { return matching(table.flatMap { [$0.name] + $0.aliases }) }
        guard let command = try? resolve(first) else { return Completion(candidates: [], files: false) }
        let rest = Array(words.dropFirst())
        // A keyword just typed: its value.
        if let last = rest.last, let spec = command.arguments.first(where: { $0.keyword == last.lowercased() }) {
            return candidates(for: spec, matching: matching, experiments: experiments)
        }
        // Otherwise: the next positional argument, plus the keywords not used yet.
        let used = Set(rest.map { $0.lowercased() })
        let keywords = command.arguments.compactMap(\.keyword).filter { !used.contains($0) }
        let positional = command.arguments.filter { $0.keyword == nil }
        var consumed = 0, index = 0
        while index < rest.count {
            if command.arguments.contains(where: { $0.keyword == rest[index].lowercased() }) {
                index += 2
                continue
            }
            if let spec = positional.isEmpty ? nil : positional[min(consumed, positional.count - 1)], case .policy = spec.kind,
               PolicyWords.takesParameter(rest[index]) {
                index += 1
            }
            index += 1
            if consumed < positional.count, !positional[consumed].repeating { consumed += 1 }
        }
        var result = Completion(candidates: [], files: false)
        if consumed < positional.count {
            result = candidates(for: positional[consumed], matching: matching, experiments: experiments)
        }
        if !result.files {
            result.candidates = (result.candidates + matching(keywords).candidates).sorted()
        }
        return result
    }

    private static func candidates(for spec: ArgumentSpec, matching: ([String]) -> Completion,
                                   experiments: () -> [String]) -> Completion {
        switch spec.kind {
        case .choice(let words): matching(words)
        case .policy: matching(PolicyWords.completions)
        case .experiment: matching(experiments())
        case .command: matching(table.map(\.name))
        case .path, .file: Completion(candidates: [], files: true)
        case .integer, .real, .name: Completion(candidates: [], files: false)
        }
    }
}
