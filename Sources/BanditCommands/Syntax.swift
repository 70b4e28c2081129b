// Lines into commands: tokens, comments, `;` and `&` separators, and generic argument binding.

/// One command as typed: its words, and whether it ends with `&` (run in the background).
public struct ParsedCommand: Sendable, Equatable {
    public var words: [String]
    public var background: Bool

    public init(words: [String], background: Bool) {
        self.words = words
        self.background = background
    }

    /// The command as a line of its own that parses back to it (words quoted where they need it),
    /// or nil when a word holds both kinds of quote, which no quoting keeps.
    public var line: String? {
        var quoted: [String] = []
        for word in words {
            let plain = !word.isEmpty && !word.contains { $0.isWhitespace || "'\";#&".contains($0) }
            if plain {
                quoted.append(word)
            } else if !word.contains("'") {
                quoted.append("'\(word)'")
            } else if !word.contains("\"") {
                quoted.append("\"\(word)\"")
            } else {
                return nil
            }
        }
        return quoted.joined(separator: " ") + (background ? " &" : "")
    }
}

/// Splits a line into commands: whitespace separates words, quotes ('…' or "…") keep spaces, `#`
/// at the start of a word begins a comment, `;` separates commands, and `&` ends a command that runs
/// in the background (as in a shell: `runs 40 & stats` starts the job, then shows the stats).
public func parseLine(_ line: String) throws(CommandError) -> [ParsedCommand] {
    var commands: [ParsedCommand] = []
    var words: [String] = []
    var word = ""
    var inWord = false
    var quote: Character?
    func endWord() {
        if inWord { words.append(word) }
        word = ""
        inWord = false
    }
    func endCommand(background: Bool = false) throws(CommandError) {
        endWord()
        if background && words.isEmpty { throw .usage("nothing before '&' to run in the background") }
        if !words.isEmpty { commands.append(ParsedCommand(words: words, background: background)) }
        words = []
    }
    for character in line {
        if let open = quote {
            if character == open { quote = nil } else { word.append(character) }
            continue
        }
        switch character {
        case "'", "\"":
            quote = character
            inWord = true
        case "#" where !inWord:
            try endCommand()
            return commands
        case ";": try endCommand()
        case "&": try endCommand(background: true)
        case _ where character.isWhitespace: endWord()
        default:
            word.append(character)
            inWord = true
        }
    }
    if quote != nil { throw .usage("unterminated quote") }
    try endCommand()
    return commands
}

/// Binds words to a command's declared arguments, checking count, types and ranges generically.
func bind(_ words: ArraySlice<String>, to command: Command) throws(CommandError) -> Arguments {
    var arguments = Arguments()
    let positional = command.arguments.filter { $0.keyword == nil }
    var keywords: [String: ArgumentSpec] = [:]
    for spec in command.arguments { if let keyword = spec.keyword { keywords[keyword] = spec } }
    var index = words.startIndex
    var slot = 0
    func usage() -> String { "usage: \(command.synopsis)" }
    while index < words.endIndex {
        let word = words[index]
        if let spec = keywords[word.lowercased()] {
            guard !arguments.has(spec.name) else { throw .usage("\(word) given twice; \(usage())") }
            guard index + 1 < words.endIndex else { throw .usage("\(word) needs a value; \(usage())") }
            let (value, used) = try parseArgument(spec, words[(index + 1)...])
            arguments.values[spec.name] = [value]
            index += 1 + used
            continue
        }
        guard slot < positional.count else { throw .usage("unexpected '\(echo(word))'; \(usage())") }
        // Optional arguments that are not given (`plot greedy`: no `evaluation`, no FILE): the word
        // belongs to the first later argument it suits. Only a probe: when it suits none, parsing it
        // below says why, as the first argument that is not an optional fixed word (`plot x.png`:
        // FILE must end in .svg).
        func suits(_ spec: ArgumentSpec) -> Bool { (try? parseArgument(spec, words[index...])) != nil }
        var probe = slot
        while positional[probe].optional, probe + 1 < positional.count, !suits(positional[probe]) {
            probe += 1
            if suits(positional[probe]) { slot = probe }
        }
        while case .choice = positional[slot].kind, positional[slot].optional, slot + 1 < positional.count,
              !suits(positional[slot]) {
            slot += 1
        }
        let spec = positional[slot]
        let (value, used) = try parseArgument(spec, words[index...])
        arguments.values[spec.name, default: []].append(value)
        index += used
        if !spec.repeating { slot += 1 }
    }
    for spec in positional where !spec.optional && !arguments.has(spec.name) {
        throw .usage("missing \(spec.name); \(usage())")
    }
    return arguments
}
