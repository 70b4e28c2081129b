// banditd as a library: owns the store, serves clients on a Unix socket, runs and resumes jobs.

import BanditCommands
import BanditStore
import CBanditSystem
import Dispatch
import Foundation
import Logging

/// The daemon of one state directory. `run()` serves until `stop()` (a signal, `shutdown`).
public final class Daemon: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var stateDirectory: String
        public var threads: Int
        /// Continue interrupted jobs when starting.
        public var autoResume: Bool
        public var synchronous: StoreOptions.Synchronous

        public init(stateDirectory: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                    autoResume: Bool = true, synchronous: StoreOptions.Synchronous = .normal) {
            self.stateDirectory = stateDirectory
            self.threads = threads
            self.autoResume = autoResume
            self.synchronous = synchronous
        }
    }

    public static let socketName = "banditd.sock"
    public static let pidName = "banditd.pid"

    public let configuration: Configuration
    public let workspace: Workspace
    private let logger: Logger
    private let socketPath: String
    private let pidPath: String
    private var listener: Int32 = -1
    private let wake: (read: Int32, write: Int32)
    private let lock = NSLock()
    private var connections: [ObjectIdentifier: FrameConnection] = [:]
    private var stopping = false
    /// Commands executing now, whose replies must go out before the connections close.
    private let inFlight = NSCondition()
    private var commandsRunning = 0

    /// Opens the store (taking its exclusive lock); fails like the store does, naming the file.
    public init(configuration: Configuration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let directory = configuration.stateDirectory
        socketPath = (directory as NSString).appendingPathComponent(Self.socketName)
        pidPath = (directory as NSString).appendingPathComponent(Self.pidName)
        let store = try Store(directory: directory, options: StoreOptions(synchronous: configuration.synchronous))
        workspace = Workspace(store: store, threads: configuration.threads)
        var fds: [Int32] = [-1, -1]
        _ = pipe(&fds)
        wake = (fds[0], fds[1])
        workspace.shutdown = { [weak self] in self?.stop() }
        workspace.jobEnded = { [logger] line in logger.info("\(line)") }
    }

    /// Asks the daemon to stop; `run()` then stops the jobs at their next day boundary and returns.
    public func stop() {
        lock.withLock { stopping = true }
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
    }

    /// Serves until stopped: binds the socket, writes the pid file, resumes interrupted jobs,
    /// accepts clients; then stops jobs, closes the store (no `-wal` left) and removes its files.
    public func run() throws {
        // We own the store, so a socket file left here belongs to a dead daemon.
        unlink(socketPath)
        listener = try UnixSocket.listen(at: socketPath)
        try "\(getpid())\n".write(toFile: pidPath, atomically: true, encoding: .utf8)
        logger.info("banditd \(getpid()) serving \(socketPath)")
        if configuration.autoResume { resumeInterruptedJobs() }
        acceptLoop()
        logger.info("stopping: waiting for jobs to reach a day boundary")
        Foundation.close(listener)
        unlink(socketPath)
        if !workspace.registry.stopAll(timeout: 120) { logger.warning("some jobs did not stop in time") }
        inFlight.withLock {
            let deadline = Date().addingTimeInterval(10)
            while commandsRunning > 0 && inFlight.wait(until: deadline) {}
        }
        for connection in lock.withLock({ Array(connections.values) }) { connection.shutdown() }
        workspace.store.close()
        unlink(pidPath)
        logger.info("stopped")
    }

    private func acceptLoop() {
        var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
        while !lock.withLock({ stopping }) {
            fds[0].revents = 0
            fds[1].revents = 0
            guard poll(&fds, 2, -1) >= 0 || errno == EINTR else { break }
            if fds[1].revents != 0 { break }
            guard fds[0].revents & Int16(POLLIN) != 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            let connection = FrameConnection(fd: client)
            let thread = Thread { [self] in serve(connection) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    private func resumeInterruptedJobs() {
        do {
            for job in try workspace.store.jobs() where job.state == .interrupted {
                guard let experiment = try workspace.store.experiment(id: job.experimentID) else { continue }
                let session = Session(workspace: workspace, current: experiment.name, workingDirectory: configuration.stateDirectory)
                let outcome = Interpreter(session: session).execute(ParsedCommand(words: ["resume", "\(job.id)"], background: true))
                if let error = outcome.error {
                    logger.error("cannot resume job \(job.id): \(error)")
                } else {
                    logger.info("resumed job \(job.id) of \(experiment.name): \(job.command)")
                }
            }
        } catch {
            logger.error("cannot list interrupted jobs: \(error)")
        }
    }

    /// One client: hello, then requests until it leaves. A client that disconnects mid-command harms
    /// nothing: the command finishes (or stops at a day boundary) and its days are committed.
    private func serve(_ connection: FrameConnection) {
        let key = ObjectIdentifier(connection)
        lock.withLock { connections[key] = connection }
        defer { lock.withLock { connections[key] = nil } }
        var peer: uid_t = 0
        guard bandit_peer_uid(connection.fd, &peer) == 0, peer == getuid() else {
            logger.warning("refused a client of uid \(peer)")
            try? connection.send(ServerMessage.refused(message: "banditd serves uid \(getuid()) only, not \(peer)"))
            return
        }
        let session: Session
        do {
            guard case .hello(let version, _, let directory)? = try connection.receive(ClientMessage.self) else {
                try? connection.send(ServerMessage.error(message: "expected hello"))
                return
            }
            guard version == Wire.version else {
                try? connection.send(ServerMessage.refused(message:
                    "protocol version \(version) is not spoken here: banditd \(getpid()) speaks \(Wire.version); "
                    + "stop it ('shutdown', or kill \(getpid())) so that a matching one starts, or use a matching bandit"))
                return
            }
            session = Session(workspace: workspace, workingDirectory: directory)
            try connection.send(ServerMessage.welcome(protocol: Wire.version, pid: getpid(), prompt: Interpreter(session: session).prompt))
        } catch {
            logger.debug("client dropped during hello: \(error)")
            try? connection.send(ServerMessage.error(message: "\(error)"))
            return
        }
        let client = Client(connection: connection, interpreter: Interpreter(session: session)) { [self] started in
            inFlight.withLock {
                commandsRunning += started ? 1 : -1
                inFlight.broadcast()
            }
        }
        while true {
            let message: ClientMessage?
            do {
                message = try connection.receive(ClientMessage.self)
            } catch {
                logger.debug("client dropped: \(error)")
                try? connection.send(ServerMessage.error(message: "\(error)"))
                client.interrupt()
                return
            }
            switch message {
            case nil, .bye?: return
            case .hello?: try? connection.send(ServerMessage.error(message: "hello was already said"))
            case .interrupt?: client.interrupt()
            case .complete(let line)?:
                let store = workspace.store
                let completion = Command.complete(line) { (try? store.experiments().map(\.experiment.name)) ?? [] }
                try? connection.send(ServerMessage.completion(completion))
            case .run(let line)?:
                if !client.start(line) { try? connection.send(ServerMessage.error(message: "a command is still running")) }
            }
        }
    }
}

/// A connected client: at most one command at a time, run on a thread of its own so that the
/// connection can still receive `interrupt`.
private final class Client: @unchecked Sendable {
    let connection: FrameConnection
    let interpreter: Interpreter
    private let lock = NSLock()
    private var busy = false
    private var interrupted = false
    /// Told when a command starts (true) and when its reply has gone out (false).
    private let track: @Sendable (Bool) -> Void

    init(connection: FrameConnection, interpreter: Interpreter, track: @escaping @Sendable (Bool) -> Void) {
        self.connection = connection
        self.interpreter = interpreter
        self.track = track
    }

    func interrupt() { lock.withLock { interrupted = true } }

    func start(_ line: String) -> Bool {
        let free = lock.withLock { () -> Bool in
            guard !busy else { return false }
            busy = true
            interrupted = false
            return true
        }
        guard free else { return false }
        track(true)
        let thread = Thread { [self] in
            defer { track(false) }
            let throttle = ProgressThrottle()
            let outcomes = interpreter.run(line, progress: { [connection] progress in
                if throttle.admit(progress) { try? connection.send(ServerMessage.progress(progress)) }
            }, shouldStop: { [self] in lock.withLock { interrupted } })
            // Free before answering: the client sends its next line as soon as it has the result.
            lock.withLock { busy = false }
            try? connection.send(ServerMessage.result(outcomes: outcomes, prompt: interpreter.prompt))
            if outcomes.contains(where: \.quit) { connection.shutdown() }
        }
        thread.stackSize = 8 << 20
        thread.start()
        return true
    }
}

/// Lets progress through at most every 50 ms, and always the last of a job: a job may commit
/// thousands of days a second, more frames than a terminal can show or the job should pay for.
final class ProgressThrottle: @unchecked Sendable {
    private let lock = NSLock()
    private let interval: Duration
    private var last: ContinuousClock.Instant?

    init(interval: Duration = .milliseconds(50)) { self.interval = interval }

    func admit(_ progress: JobProgress) -> Bool {
        lock.withLock {
            let now = ContinuousClock.now
            if progress.done < progress.total, let last, now - last < interval { return false }
            last = now
            return true
        }
    }
}
