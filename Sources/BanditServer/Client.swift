// One connected client of the daemon: its lines, each on a thread of its own, and their replies.

import BanditCommands
import Foundation
import Logging

/// A connected client: at most one line at a time, run on a thread of its own so that the
/// connection can still receive `interrupt`. (Internal, not private, for the tests.)
final class Client: @unchecked Sendable {
    let connection: FrameConnection
    let interpreter: Interpreter
    let logger: Logger
    /// Owns `busy`, `interrupted`, `heeded`, `gone` (set by the serving thread, the line's thread
    /// and the jobs' threads).
    private let lock = NSLock()
    /// A line is running or its reply is going out.
    private var busy = false
    /// Ctrl-C came: while the line runs, a long command stops at its next day boundary; the parts
    /// of the reply not yet sent are not sent, unless a command heeded it.
    private var interrupted = false
    /// A command saw the Ctrl-C and stops: its reply (where it stopped) is what the user waits for.
    private var heeded = false
    /// A send failed: the client is gone, so nothing more is sent to it (and nothing more logged).
    private var gone = false
    /// The session's current experiment when its last line ended, for completion on the serving
    /// thread (the session itself belongs to the thread running a line).
    private var current: String?
    /// Told when a line starts (true) and when its answer has gone out (false).
    private let track: @Sendable (Bool) -> Void

    init(connection: FrameConnection, interpreter: Interpreter, logger: Logger, track: @escaping @Sendable (Bool) -> Void) {
        self.connection = connection
        self.interpreter = interpreter
        self.logger = logger
        self.track = track
        current = interpreter.session.current
    }

    var currentExperiment: String? { lock.withLock { current } }

    func interrupt() { lock.withLock { interrupted = true } }

    func start(_ line: String) -> Bool {
        let free = lock.withLock { () -> Bool in
            guard !busy else { return false }
            busy = true
            interrupted = false
            heeded = false
            return true
        }
        guard free else { return false }
        track(true)
        let thread = Thread { [self] in
            defer { track(false) }
            let throttle = ProgressThrottle()
            let outcomes = interpreter.run(line, progress: { [self] progress in
                if throttle.admit(progress) { send(.progress(progress)) }
            }, shouldStop: { [self] in
                lock.withLock {
                    if interrupted { heeded = true }
                    return interrupted
                }
            })
            let notices = interpreter.session.notices.take()
            // A Ctrl-C that stopped a command must not also cut the reply that says where it
            // stopped; one that no command heeded (a long `log`) was meant for the reply, and cuts it.
            lock.withLock { if heeded { interrupted = false } }
            reply(outcomes, line: line)
            // Free before the last message: the client sends its next line as soon as it has it.
            let now = interpreter.session.current
            lock.withLock {
                busy = false
                current = now
            }
            send(.done(prompt: interpreter.prompt, notices: notices))
            if outcomes.contains(where: \.quit) { connection.shutdown() }
        }
        thread.stackSize = 8 << 20
        thread.start()
        return true
    }

    /// Sends each outcome in its parts, until the client interrupts the reply or goes away.
    private func reply(_ outcomes: [Outcome], line: String) {
        for (index, outcome) in outcomes.enumerated() {
            for piece in Wire.parts(of: outcome, line: line) {
                guard !lock.withLock({ interrupted || gone }) else { return }
                do {
                    try connection.send(ServerMessage.part(index: index, outcome: piece))
                } catch let error as WireError where error.kind == .unencodable {
                    // Say what went wrong instead of leaving a hole in the reply; the rest of this
                    // command's reply would make no sense without the piece.
                    logger.error("cannot send the reply of '\(piece.command)': \(error)")
                    send(.part(index: index, outcome: Outcome(command: piece.command, reply: .empty,
                                                              error: "the reply could not be sent: \(error)", quit: outcome.quit)))
                    break
                } catch {
                    lost(error)
                    return
                }
            }
        }
    }

    /// Sends unless the client is gone; a failure means it is, and is logged once.
    private func send(_ message: ServerMessage) {
        guard !lock.withLock({ gone }) else { return }
        do {
            try connection.send(message)
        } catch {
            lost(error)
        }
    }

    /// The client went away mid-line: the line still finishes (its days are committed), silently.
    private func lost(_ error: any Error) {
        let first = lock.withLock { () -> Bool in
            defer { gone = true }
            return !gone
        }
        guard first else { return }
        logger.debug("client gone while its line ran: \(error)")
        // Wakes the serving thread, which then lets the client go.
        connection.shutdown()
    }
}

/// Lets progress through at most every 50 ms, and always the last of a job and any with a note: a job may commit
/// thousands of days a second, more frames than a terminal can show or the job should pay for.
final class ProgressThrottle: @unchecked Sendable {
    private let lock = NSLock()
    private let interval: Duration
    private var last: ContinuousClock.Instant?

    init(interval: Duration = .milliseconds(50)) { self.interval = interval }

    func admit(_ progress: JobProgress) -> Bool {
        lock.withLock {
            let now = ContinuousClock.now
            if progress.note == nil, progress.done < progress.total, let last, now - last < interval { return false }
            last = now
            return true
        }
    }
}
