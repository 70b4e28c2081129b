// Runs lines of the language against a session: parse, resolve, bind, check, execute, reply.

import BanditCore
import BanditJobs
import BanditStore

/// The result of one command.
public struct Outcome: Sendable, Codable {
    public var command: String
    public var reply: Reply
    /// The one-line error when the command failed or was refused; nothing was changed then.
    public var error: String?
    /// The command asked to leave (`quit`).
    public var quit: Bool

    public init(command: String, reply: Reply, error: String?, quit: Bool) {
        self.command = command
        self.reply = reply
        self.error = error
        self.quit = quit
    }
}

/// Executes commands for one session.
public struct Interpreter: Sendable {
    public let session: Session

    public init(session: Session) { self.session = session }

    /// Every command of a line (`;`-separated), in order, stopping at the first error.
    public func run(
        _ line: String, progress: (@Sendable (JobProgress) -> Void)? = nil,
        shouldStop: @escaping @Sendable () -> Bool = { false }
    ) -> [Outcome] {
        let commands: [ParsedCommand]
        do {
            commands = try parseLine(line)
        } catch {
            return [Outcome(command: echo(line), reply: .empty, error: error.description, quit: false)]
        }
        var outcomes: [Outcome] = []
        for command in commands {
            let outcome = execute(command, progress: progress, shouldStop: shouldStop)
            outcomes.append(outcome)
            if outcome.error != nil || outcome.quit { break }
        }
        return outcomes
    }

    /// One command: resolved, its arguments bound and checked, then executed by its handler; a
    /// command that changes stored state goes through the workspace, its one writer.
    public func execute(
        _ parsed: ParsedCommand, progress: (@Sendable (JobProgress) -> Void)? = nil,
        shouldStop: @escaping @Sendable () -> Bool = { false }
    ) -> Outcome {
        let text = parsed.words.joined(separator: " ")
        do {
            let command = try Command.resolve(parsed.words[0])
            let arguments = try bind(parsed.words.dropFirst(), to: command)
            if parsed.background && !command.isJob && !command.flags.contains(.detaches) {
                throw CommandError.usage("only jobs (runs, compare, day, step, resume) and 'sweep plan ... local' run in the background ('&'); "
                                         + "\(command.name) does not")
            }
            if command.flags.contains(.needsWorld) { _ = try session.currentWorld() }
            if command.flags.contains(.needsExperiment) { _ = try session.currentExperiment() }
            // A background job runs on a session of its own, so that this one can go on.
            var call = parsed.background
                ? Invocation(session: session.copy(), arguments: arguments, text: text, progress: nil, shouldStop: { false },
                             background: true)
                : Invocation(session: session, arguments: arguments, text: text, progress: progress, shouldStop: shouldStop,
                             background: false)
            let reply: Reply
            if command.flags.contains(.mutating) {
                reply = try session.workspace.perform(command, &call)
            } else {
                let answer = try command.handler(&call)
                reply = try session.workspace.record(call, reply: answer)
            }
            return Outcome(command: echo(text), reply: reply, error: nil, quit: command.flags.contains(.quits))
        } catch {
            return Outcome(command: echo(text), reply: .empty, error: Self.message(error), quit: false)
        }
    }

    /// The user-facing sentence of any error a command can raise.
    static func message(_ error: any Error) -> String {
        switch error {
        case let error as CommandError: error.description
        case let error as StoreError: error.description
        case let error as WorldError: error.description
        case let error as PolicyError: error.description
        case let error as JobError: error.description
        default: "\(error)"
        }
    }

    /// The prompt: the current experiment's name.
    public var prompt: String { Self.prompt(current: session.current) }

    /// The current experiment a prompt names (names have no spaces), or nil: how a client that has
    /// only the prompt knows which experiment to choose again after a reconnection.
    public static func experiment(inPrompt prompt: String) -> String? {
        guard prompt.hasPrefix("bandit "), prompt.hasSuffix("> ") else { return nil }
        return String(prompt.dropFirst("bandit ".count).dropLast(2))
    }
}
