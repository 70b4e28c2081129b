// One declarative entry per command: what it is called, what it takes, what it does.

import BanditCore

/// A command of the language. The table of these drives parsing, argument checks, help, completion
/// and the man page; nothing else knows the commands.
public struct Command: Sendable {
    public struct Flags: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// Changes stored state: the handler runs under the workspace's writer and returns effects.
        public static let mutating = Flags(rawValue: 1)
        /// May take long: runs as a job with progress, can be interrupted and resumed.
        public static let longRunning = Flags(rawValue: 2)
        /// Needs a current experiment.
        public static let needsExperiment = Flags(rawValue: 4)
        /// Needs a current experiment with a world.
        public static let needsWorld = Flags(rawValue: 8)
        /// Leaves the REPL.
        public static let quits = Flags(rawValue: 16)
        /// Not a job, but takes `&` itself: it starts work that goes on without it (`sweep plan ... local &`).
        public static let detaches = Flags(rawValue: 32)
    }

    public let name: String
    public let aliases: [String]
    public let arguments: [ArgumentSpec]
    public let flags: Flags
    /// One line for `help` and completion.
    public let summary: String
    /// A paragraph for `help COMMAND` and the man page.
    public let details: String
    public let examples: [String]
    let handler: @Sendable (inout Invocation) throws -> Reply

    init(
        _ name: String, aliases: [String] = [], arguments: [any DeclaredArgument] = [], flags: Flags = [],
        summary: String, details: String, examples: [String] = [],
        handler: @escaping @Sendable (inout Invocation) throws -> Reply
    ) {
        self.name = name
        self.aliases = aliases
        self.arguments = arguments.map(\.spec)
        self.flags = flags
        self.summary = summary
        self.details = details
        self.examples = examples
        self.handler = handler
    }

    /// A job: it changes stored state and takes long (`runs`, `compare`, `day`, `step`, `resume`);
    /// only jobs run in the background.
    var isJob: Bool { flags.contains(.mutating) && flags.contains(.longRunning) }

    /// `name ARG [ARG] ...`, as help and the man page show it.
    /// How it is typed; a job says that `&` runs it in the background.
    public var synopsis: String { ([name] + arguments.map(\.synopsis) + (isJob ? ["[&]"] : [])).joined(separator: " ") }
}

/// Progress of long work: what, how far, out of how much.
public struct JobProgress: Sendable, Equatable, Codable {
    public var label: String
    public var done: Int
    public var total: Int
    /// A sentence to show once, as the work starts (what a large job is estimated to take).
    public var note: String?

    public init(label: String, done: Int, total: Int, note: String? = nil) {
        self.label = label
        self.done = done
        self.total = total
        self.note = note
    }
}

/// One execution of a command: the session it acts on, its bound arguments, and the hooks a long
/// command uses to report progress and to notice that it should stop at the next day boundary.
public struct Invocation: Sendable {
    public let session: Session
    public let arguments: Arguments
    public let text: String
    public let progress: (@Sendable (JobProgress) -> Void)?
    public let shouldStop: @Sendable () -> Bool
    /// Running in the background (`&`): the client did not wait.
    public let background: Bool
    /// What a `mutating` command changes, applied by the workspace once its handler returned.
    var effects: [Effect] = []

    public var workspace: Workspace { session.workspace }

    /// The value of one of the command's declared arguments, as its declaration types it.
    subscript<Value>(_ argument: Argument<Value>) -> Value { argument.read(arguments.values[argument.spec.name] ?? []) }
}
