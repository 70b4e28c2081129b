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
        /// Connections served at once (each has a thread); one more is refused and closed.
        public var maxConnections: Int
        /// How long a new connection has to say hello before it is closed.
        public var helloTimeout: Duration
        /// What jobs may take; checked before each starts.
        public var limits: ResourceLimits
        /// How long the daemon waits with no client connected, no command and no job running before
        /// it stops by itself (as tmux's server leaves when nothing needs it); nil: never.
        public var idleExit: Duration?

        public init(stateDirectory: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                    autoResume: Bool = true, synchronous: StoreOptions.Synchronous = .normal,
                    maxConnections: Int = 64, helloTimeout: Duration = .seconds(5),
                    limits: ResourceLimits = Settings().resourceLimits(), idleExit: Duration? = nil) {
            self.stateDirectory = stateDirectory
            self.threads = threads
            self.autoResume = autoResume
            self.synchronous = synchronous
            self.maxConnections = maxConnections
            self.helloTimeout = helloTimeout
            self.limits = limits
            self.idleExit = idleExit
        }
    }

    public static let socketName = "banditd.sock"
    public static let pidName = "banditd.pid"
    /// Where a daemon started in the background writes its output.
    public static let logName = "banditd.log"

    public let configuration: Configuration
    public let workspace: Workspace
    private let logger: Logger
    private let socketPath: String
    private let pidPath: String
    private var listener: Int32 = -1
    private let wake: (read: Int32, write: Int32)
    /// Owns `connections`, `stopping` and `lastBusy` (the accept thread adds connections, their
    /// threads remove them, `stop()` comes from any thread, commands and jobs end on theirs).
    private let lock = NSLock()
    /// The open connections, at most `maxConnections`: registered when accepted, removed when served.
    private var connections: [ObjectIdentifier: FrameConnection] = [:]
    private var stopping = false
    /// When the daemon last had a client, a command or a job: `idleExit` counts from there.
    private var lastBusy = ContinuousClock.now
    /// The start lock, held from the moment the daemon decides to leave for idleness until it is
    /// gone (-1 otherwise); owned by the accept thread, then by `run()` once it returned.
    private var leavingLock: Int32 = -1
    /// Commands executing now, whose replies must go out before the connections close.
    private let inFlight = NSCondition()
    private var commandsRunning = 0

    /// Makes the state directory private (creating it if needed), then opens the store (taking its
    /// exclusive lock); fails like the store does, naming the file, or with the directory's sentence.
    public init(configuration: Configuration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let directory = configuration.stateDirectory
        if let change = try StateDirectory.prepare(directory) { logger.warning("\(change)") }
        socketPath = (directory as NSString).appendingPathComponent(Self.socketName)
        pidPath = (directory as NSString).appendingPathComponent(Self.pidName)
        let store = try Store(directory: directory, options: StoreOptions(synchronous: configuration.synchronous))
        workspace = Workspace(store: store, threads: configuration.threads, limits: configuration.limits)
        var fds: [Int32] = [-1, -1]
        _ = pipe(&fds)
        wake = (fds[0], fds[1])
        workspace.shutdown = { [weak self] in self?.stop() }
        workspace.jobEnded = { [weak self, logger] line in
            logger.info("\(line)")
            self?.touch()
        }
    }

    /// Something the daemon did just ended (a connection, a command, a job): idleness counts from now.
    private func touch() { lock.withLock { lastBusy = .now } }

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
        try StateDirectory.writePrivate("\(getpid())\n", to: pidPath)
        try makeFilesPrivate()
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
        // Only now may a client that waited on the start lock start a daemon: the store is free.
        if leavingLock >= 0 { Foundation.close(leavingLock) }
    }

    /// The files beside the store that clients and earlier daemons made (a log, the start lock), 0600
    /// however they were made; each change is logged.
    private func makeFilesPrivate() throws {
        for name in [Self.logName, DaemonClient.startLockName] {
            let path = (configuration.stateDirectory as NSString).appendingPathComponent(name)
            if let change = try StateDirectory.makePrivate(file: path) { logger.warning("\(change)") }
        }
    }

    /// Accepts clients until `stop()`, or until the daemon has been idle for `idleExit`. Owned by the
    /// accept thread: `pressure`.
    private func acceptLoop() {
        var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
        var pressure = AcceptPressure()
        while !lock.withLock({ stopping }) {
            fds[0].revents = 0
            fds[1].revents = 0
            var timeout: Int32 = -1
            if let idleExit = configuration.idleExit {
                let left = idleLeft(idleExit)
                if left <= .zero && leaveIfIdle(idleExit) { break }
                // Whatever ends meanwhile (a client, a job) stamps `lastBusy`: looking again within a
                // second is enough to see it, and costs nothing.
                let wait = min(max(left, .milliseconds(10)), .seconds(1))
                timeout = Int32(wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000)
            }
            guard poll(&fds, 2, timeout) >= 0 || errno == EINTR else { break }
            if fds[1].revents != 0 { break }
            guard fds[0].revents & Int16(POLLIN) != 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                let error = errno
                if [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error) { backOff(error, &pressure) }
                continue
            }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            if pressure.starved {
                pressure.starved = false
                logger.notice("accepting clients again")
            }
            admit(FrameConnection(fd: client), &pressure)
        }
    }

    /// Whether a client is connected, a command runs (its client may have gone) or a job runs.
    private func isBusy() -> Bool {
        lock.withLock { !connections.isEmpty } || inFlight.withLock { commandsRunning > 0 } || !workspace.registry.isIdle
    }

    /// How much longer the daemon may stay idle: `idleExit` from the last moment it was busy (now,
    /// if it is busy now).
    private func idleLeft(_ idleExit: Duration) -> Duration {
        if isBusy() { touch() }
        return lock.withLock { lastBusy } + idleExit - .now
    }

    /// Decides to leave for idleness, holding the start lock so that a client that arrives now
    /// waits for this daemon to be gone before it starts one (see `DaemonClient.connect`); a client
    /// already holding it is connecting here: the daemon stays. Only the accept thread admits
    /// clients, so nobody is served between the check and `stopping`; one whose connection waits
    /// in the backlog is closed with the listener, and tries again behind the start lock.
    private func leaveIfIdle(_ idleExit: Duration) -> Bool {
        let path = (configuration.stateDirectory as NSString).appendingPathComponent(DaemonClient.startLockName)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            logger.warning("cannot open \(path) to stop after idle_exit: \(String(cString: strerror(errno))); staying")
            touch()
            return false
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            Foundation.close(fd)
            touch()
            return false
        }
        let leaving = !isBusy() && lock.withLock { () -> Bool in
            guard connections.isEmpty else { return false }
            stopping = true
            return true
        }
        guard leaving else {
            Foundation.close(fd)
            return false
        }
        leavingLock = fd
        logger.info("no client and no job for \(seconds(idleExit)) (idle_exit): stopping")
        return true
    }

    /// Out of descriptors (EMFILE, ENFILE) or memory: the client waits in the listen backlog, and
    /// poll would report it again at once, so the loop would spin. Waits 100 ms (or until `stop()`)
    /// for a connection to end and free a descriptor; says so once per shortage.
    private func backOff(_ error: Int32, _ pressure: inout AcceptPressure) {
        if !pressure.starved {
            pressure.starved = true
            var limit = rlimit()
            getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
            logger.warning("""
                cannot accept a client: \(String(cString: strerror(error))) (at most \(limit.rlim_cur) open files); \
                trying again every \(Self.backOffMilliseconds) ms until a connection ends
                """)
        }
        var wakeUp = pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)
        _ = poll(&wakeUp, 1, Int32(Self.backOffMilliseconds))
    }

    /// How long the accept loop waits when it is out of descriptors: clients wait at most this much
    /// longer once one is free, and the loop costs nothing meanwhile.
    static let backOffMilliseconds = 100

    /// Serves a new connection on a thread of its own, or, when `maxConnections` are open, refuses it
    /// with an error frame and closes it.
    private func admit(_ connection: FrameConnection, _ pressure: inout AcceptPressure) {
        let key = ObjectIdentifier(connection)
        let admitted = lock.withLock { () -> Bool in
            guard connections.count < configuration.maxConnections else { return false }
            connections[key] = connection
            return true
        }
        guard admitted else {
            refuseOverLimit(connection, &pressure)
            return
        }
        if pressure.refused > 0 {
            logger.notice("serving new clients again; \(pressure.refused) were refused while \(configuration.maxConnections) were connected")
            pressure.refused = 0
        }
        let thread = Thread { [self] in serve(connection) }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// One connection too many: told why in one frame, then closed (when `connection` goes). Sent
    /// without blocking, on the accept thread: a fresh socket's buffer takes a small frame at once,
    /// and a client that does not read must not hold the accept loop.
    private func refuseOverLimit(_ connection: FrameConnection, _ pressure: inout AcceptPressure) {
        let limit = configuration.maxConnections
        if pressure.refused == 0 {
            logger.warning("refused a client: \(limit) clients are connected (max_connections); refusing more until one leaves")
        }
        pressure.refused += 1
        _ = fcntl(connection.fd, F_SETFL, fcntl(connection.fd, F_GETFL) | O_NONBLOCK)
        do {
            try connection.send(ServerMessage.refused(message:
                "too many clients (\(limit)): banditd \(getpid()) serves at most \(limit) at once (max_connections); try again when one has left"))
        } catch {
            logger.debug("a refused client did not take its error: \(error)")
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
        defer {
            lock.withLock {
                connections[ObjectIdentifier(connection)] = nil
                lastBusy = .now
            }
        }
        guard isOwner(connection), let session = hello(connection),
              answer(.welcome(protocol: Wire.version, pid: getpid(), prompt: Interpreter(session: session).prompt), on: connection)
        else { return }
        let client = Client(connection: connection, interpreter: Interpreter(session: session), logger: logger) { [self] started in
            inFlight.withLock {
                commandsRunning += started ? 1 : -1
                inFlight.broadcast()
            }
            touch()
        }
        while true {
            let message: ClientMessage?
            do {
                message = try connection.receive(ClientMessage.self)
            } catch {
                logger.debug("client dropped: \(error)")
                _ = answer(.error(message: "\(error)"), on: connection)
                client.interrupt()
                return
            }
            let served: Bool
            switch message {
            case nil, .bye?: return
            case .hello?: served = answer(.error(message: "hello was already said"), on: connection)
            case .interrupt?:
                client.interrupt()
                served = true
            case .complete(let line)?:
                // The experiment as the last line left it: the session itself belongs to the line's thread.
                let source = CompletionSource.workspace(workspace, current: client.currentExperiment) { [logger] error in
                    logger.error("cannot list experiments or jobs for completion: \(error)")
                }
                served = answer(.completion(Command.complete(line, source: source)), on: connection)
            case .run(let line)?:
                served = client.start(line) || answer(.error(message: "a command is still running"), on: connection)
            }
            guard served else {
                client.interrupt()
                return
            }
        }
    }

    /// Whether the client runs as this daemon's user (SO_PEERCRED); any other uid is refused and logged.
    private func isOwner(_ connection: FrameConnection) -> Bool {
        var peer: uid_t = 0
        guard bandit_peer_uid(connection.fd, &peer) == 0 else {
            logger.warning("refused a client whose uid cannot be read: \(String(cString: strerror(errno)))")
            _ = answer(.refused(message: "banditd cannot tell which user you are (SO_PEERCRED failed)"), on: connection)
            return false
        }
        guard peer == geteuid() else {
            logger.warning("refused a client of uid \(peer)")
            _ = answer(.refused(message: "banditd serves uid \(geteuid()) only, not \(peer)"), on: connection)
            return false
        }
        return true
    }

    /// The client's hello, within `helloTimeout`, in this daemon's protocol version: its session,
    /// or nil once the client has been told why not (and the reason logged when it is news).
    private func hello(_ connection: FrameConnection) -> Session? {
        let timeout = configuration.helloTimeout
        do {
            guard case .hello(let version, _, let directory)? = try connection.receive(ClientMessage.self, until: .now + timeout) else {
                _ = answer(.error(message: "expected hello"), on: connection)
                return nil
            }
            guard version == Wire.version else {
                _ = answer(.refused(message:
                    "protocol version \(version) is not spoken here: banditd \(getpid()) speaks \(Wire.version); "
                    + "stop it ('shutdown', or kill \(getpid())) so that a matching one starts, or use a matching bandit"), on: connection)
                return nil
            }
            return Session(workspace: workspace, workingDirectory: directory)
        } catch let error as WireError where error.kind == .timedOut {
            logger.notice("closed a connection that sent no hello within \(seconds(timeout)) (hello_timeout)")
            _ = answer(.error(message: "no hello within \(seconds(timeout)): closing"), on: connection)
            return nil
        } catch {
            logger.debug("client dropped during hello: \(error)")
            _ = answer(.error(message: "\(error)"), on: connection)
            return nil
        }
    }

    /// Every answer goes through here: a client that has gone away is let go, never an error lost.
    private func answer(_ message: ServerMessage, on connection: FrameConnection) -> Bool {
        do {
            try connection.send(message)
            return true
        } catch {
            logger.debug("client gone, not served further: \(error)")
            connection.shutdown()
            return false
        }
    }

}

/// What the accept loop remembers between connections, to log a shortage once rather than per client.
private struct AcceptPressure {
    /// Out of descriptors since the last accepted connection.
    var starved = false
    /// Clients refused since the connections were last under `maxConnections`.
    var refused = 0
}

/// A duration as a sentence says it: `5 s`, `0.5 s`.
func seconds(_ duration: Duration) -> String {
    let value = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    return String(format: "%g s", value)
}
