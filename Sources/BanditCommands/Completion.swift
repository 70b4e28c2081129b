// Tab completion from the command table: command names, keywords, choices, policies, experiments, paths.

import BanditStore

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

/// What completion offers beyond the command table: the experiments and jobs that exist now.
public struct CompletionSource {
    public var experiments: () -> [String]
    /// The ids of the current experiment's jobs that can take an argument of this role.
    public var jobs: (JobRole) -> [Int64]

    public init(experiments: @escaping () -> [String], jobs: @escaping (JobRole) -> [Int64] = { _ in [] }) {
        self.experiments = experiments
        self.jobs = jobs
    }

    /// A workspace's experiments, and the jobs of `current` (the session's experiment) by role.
    /// Nothing when the store cannot list them: completion happens mid-line, where nothing may be
    /// printed, so the error goes to `failed` (the daemon's log) and the next command meets it itself.
    public static func workspace(_ workspace: Workspace, current: String?,
                                 failed: @escaping (any Error) -> Void = { _ in }) -> CompletionSource {
        CompletionSource(experiments: {
            do {
                return try workspace.store.experiments().map(\.experiment.name)
            } catch {
                failed(error)
                return []
            }
        }, jobs: { role in
            guard let current else { return [] }
            let jobs: [JobRecord]
            do {
                guard let experiment = try workspace.store.experiment(named: current) else { return [] }
                jobs = try workspace.store.jobs(experimentID: experiment.id)
            } catch {
                failed(error)
                return []
            }
            let registry = workspace.registry
            switch role {
            case .running: return jobs.filter { registry.isRunning($0.id) }.map(\.id)
            case .stopped: return jobs.filter { ResumeCommand.resumable($0, registry: registry) }.map(\.id)
            case .finished: return jobs.filter { $0.kind == .runs && $0.state == .finished }.map(\.id)
            }
        })
    }
}

extension Command {
    /// Candidates for the last (possibly empty) word of `line`, the text before the cursor.
    public static func complete(_ line: String, experiments: @escaping () -> [String]) -> Completion {
        complete(line, source: CompletionSource(experiments: experiments))
    }

    /// Candidates for the last (possibly empty) word of `line`, the text before the cursor, with
    /// experiment names and job ids from `source`.
    public static func complete(_ line: String, source: CompletionSource) -> Completion {
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
            return candidates(for: spec, current: current, matching: matching, source: source)
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
            result = candidates(for: positional[consumed], current: current, matching: matching, source: source)
        }
        if !result.files {
            result.candidates = (result.candidates + matching(keywords).candidates).sorted()
        }
        return result
    }

    private static func candidates(for spec: ArgumentSpec, current: String, matching: ([String]) -> Completion,
                                   source: CompletionSource) -> Completion {
        switch spec.kind {
        case .choice(let words): matching(words)
        case .list(let words):
            // The words not listed yet, after those already typed (`ips,d` → `ips,dm`, `ips,dr`).
            { () -> Completion in
                let typed = current.lowercased().split(separator: ",", omittingEmptySubsequences: false).dropLast().map(String.init)
                let head = typed.map { $0 + "," }.joined()
                return matching(words.filter { !typed.contains($0) }.map { head + $0 })
            }()
        case .policy: matching(PolicyWords.completions)
        case .experiment: matching(source.experiments())
        case .job(let role): matching(source.jobs(role).map(String.init))
        case .command: matching(table.map(\.name))
        case .path, .file, .inputFile: Completion(candidates: [], files: true)
        case .integer, .real, .name, .rest: Completion(candidates: [], files: false)
        }
    }
}
