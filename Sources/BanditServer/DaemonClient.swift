// The client side: find the daemon of a state directory, starting it when none answers, and talk to it.

import BanditCommands
import BanditStore
import CBanditSystem
import Foundation

/// A connection to `banditd`, after a successful hello. Used by one thread at a time (the REPL's):
/// one request, then its answer.
public final class DaemonClient: @unchecked Sendable {
    private let connection: FrameConnection
    public private(set) var prompt: String
    public let daemonPID: Int32

    /// How long the daemon may take to answer a hello or a completion, and to end a line after
    /// Ctrl-C: each is quick for a healthy daemon, and a stuck one must not hang the terminal.
    public static let answerTimeout: Duration = .seconds(5)
    /// This connection's `answerTimeout` (shorter in tests).
    private let timeout: Duration
    /// How often a line's wait looks at the Ctrl-C flag.
    static let interruptPoll: Duration = .milliseconds(25)

    /// Says hello on a connected socket, once it is sure that the process listening there runs as
    /// this user (SO_PEERCRED), so that nobody else's program is sent a line or believed. Refused
    /// (version, uid) or failed hellos throw with the daemon's sentence, and a daemon that does not
    /// answer within `timeout` with one naming its socket (`socket`, the path connected to; by
    /// default the one the listener bound).
    public init(fd: Int32, socket: String? = nil, workingDirectory: String = FileManager.default.currentDirectoryPath,
                protocolVersion: Int = Wire.version, timeout: Duration = DaemonClient.answerTimeout) throws {
        connection = FrameConnection(fd: fd)
        self.timeout = timeout
        let socket = socket ?? UnixSocket.peerPath(fd) ?? "its socket"
        try Self.requireOwnDaemon(fd, socket: socket)
        // A daemon that refuses us may have answered and closed before our hello got through: read
        // its answer even when sending failed.
        var sendFailure: (any Error)?
        do {
            try connection.send(ClientMessage.hello(protocol: protocolVersion, client: "bandit", workingDirectory: workingDirectory))
        } catch {
            sendFailure = error
        }
        let answer: ServerMessage?
        do {
            answer = try connection.receive(ServerMessage.self, until: .now + timeout)
        } catch let error as WireError where error.kind == .timedOut {
            throw WireError("banditd on \(socket) did not answer the hello within "
                            + "\(timeout.components.seconds) s: it may be stuck; stop it (kill the pid in banditd.pid) and try again",
                            kind: .timedOut)
        } catch {
            throw WireError("\(sendFailure ?? error)", kind: .closedBeforeHello)
        }
        switch answer {
        case .welcome(_, let pid, let prompt)?:
            daemonPID = pid
            self.prompt = prompt
        case .refused(let message)?: throw WireError(message)
        case .error(let message)?: throw WireError(message)
        case nil: throw WireError("the daemon closed the connection before answering the hello", kind: .closedBeforeHello)
        default: throw WireError("the daemon did not answer the hello")
        }
    }

    /// Refuses a socket whose listener runs as another user: a program of theirs in the daemon's
    /// place could answer anything (and read every line sent to it).
    private static func requireOwnDaemon(_ fd: Int32, socket: String) throws {
        var peer: uid_t = 0
        guard bandit_peer_uid(fd, &peer) == 0 else {
            throw WireError("cannot tell which user serves \(socket) (SO_PEERCRED: \(String(cString: strerror(errno)))); not using it")
        }
        guard peer == geteuid() else {
            throw WireError("""
                \(socket) is served by uid \(peer), not by you (uid \(geteuid())): it is not your banditd; \
                stop that process or remove the socket, and check who can write to its directory
                """)
        }
    }

    /// Runs a line, handing each `part` of the reply to `part` as it arrives (the index of its
    /// command in the line, and the piece), and returns the notices to print before the next prompt.
    ///
    /// `progress` sees progress while the line runs. When `interrupted` turns true (Ctrl-C), the
    /// daemon is asked once to stop. During the run, a long command stops at its next day boundary
    /// and its reply (where it stopped) still comes, while the reply of a line that nothing stopped
    /// is cut by the daemon; during the reply, the parts not yet shown are dropped. Either way the
    /// daemon has the answer timeout (5 s) to end the line; if it does not, the connection is closed
    /// and this throws a `.timedOut` WireError: this client is then done with.
    public func run(_ line: String, progress: (@Sendable (JobProgress) -> Void)?, interrupted: () -> Bool,
                    part: (Int, Outcome) -> Void) throws -> [String] {
        do {
            return try exchange(line, progress: progress, interrupted: interrupted, part: part)
        } catch {
            // Whatever is left of this line's answer would be read as the next one's.
            connection.shutdown()
            throw error
        }
    }

    /// Runs a line and returns each command's outcome whole, its parts put back together (for
    /// callers that want everything at once; the notices are not kept).
    public func run(_ line: String, progress: (@Sendable (JobProgress) -> Void)?, interrupted: () -> Bool) throws -> [Outcome] {
        var outcomes: [Outcome] = []
        var replies: [[Reply]] = []
        var indices: [Int] = []
        _ = try run(line, progress: progress, interrupted: interrupted) { index, piece in
            if indices.last == index {
                replies[replies.count - 1].append(piece.reply)
                outcomes[outcomes.count - 1].quit = piece.quit
            } else {
                indices.append(index)
                outcomes.append(piece)
                replies.append([piece.reply])
            }
        }
        for index in outcomes.indices where replies[index].count > 1 { outcomes[index].reply = .sequence(replies[index]) }
        return outcomes
    }

    private func exchange(_ line: String, progress: (@Sendable (JobProgress) -> Void)?, interrupted: () -> Bool,
                          part: (Int, Outcome) -> Void) throws -> [String] {
        try connection.send(ClientMessage.run(line: line))
        // A part has come: the line has run and its reply is arriving.
        var replying = false
        // Ctrl-C came during the reply: the rest of it is not shown.
        var dropping = false
        // Set at Ctrl-C: when the daemon must have ended the line.
        var deadline: ContinuousClock.Instant?
        while true {
            if deadline == nil && interrupted() {
                try connection.send(ClientMessage.interrupt)
                deadline = .now + timeout
                dropping = replying
            }
            if !connection.waitForInput(timeout: Self.interruptPoll) {
                if let deadline, deadline <= .now { throw silentAfterInterrupt }
                continue
            }
            let message: ServerMessage?
            do {
                message = try connection.receive(ServerMessage.self, until: deadline)
            } catch let error as WireError where error.kind == .timedOut {
                throw silentAfterInterrupt
            }
            switch message {
            case .progress(let update)?: if !dropping { progress?(update) }
            case .part(let index, let outcome)?:
                replying = true
                if !dropping { part(index, outcome) }
            case .done(let prompt, let notices)?:
                self.prompt = prompt
                return notices
            case .error(let message)?: throw WireError(message)
            case nil: throw WireError("the daemon closed the connection")
            default: continue
            }
        }
    }

    private var silentAfterInterrupt: WireError {
        WireError("the daemon did not answer within \(timeout.components.seconds) s after Ctrl-C; reconnecting on the next command",
                  kind: .timedOut)
    }

    /// The completions of the line before the cursor; a daemon that does not answer in time throws.
    public func complete(_ line: String) throws -> Completion {
        do {
            try connection.send(ClientMessage.complete(line: line))
            let deadline = ContinuousClock.now + timeout
            while true {
                switch try connection.receive(ServerMessage.self, until: deadline) {
                case .completion(let completion)?: return completion
                case .error(let message)?: throw WireError(message)
                case nil: throw WireError("the daemon closed the connection")
                default: continue
                }
            }
        } catch {
            // A late completion would be read as the answer to the next request.
            connection.shutdown()
            throw error
        }
    }

    /// Says goodbye, so that the daemon ends this session at once.
    public func bye() {
        do {
            try connection.send(ClientMessage.bye)
        } catch {
            // The daemon is already gone: there is nobody left to tell, and closing is all there is to do.
        }
        connection.shutdown()
    }

    // MARK: Finding or starting the daemon

    /// Held by the client that starts a daemon, so that two clients never start two.
    static let startLockName = "banditd.start.lock"

    /// Connects to the daemon of `stateDirectory`, starting `daemonPath` when none answers.
    ///
    /// Only in a directory of this user that nobody else can write (`StateDirectory.check`), and
    /// only to a daemon of this user. Race-safe, as tmux does it: on a refused or missing socket, take
    /// the start lock beside it and try again (another client may have started one meanwhile); only
    /// then remove a stale socket and start a daemon in its own session, and wait for it to answer.
    /// A daemon leaving for idleness (`idle_exit`) holds the start lock until it is gone, and may
    /// close a connection it took just as it decided to leave: that counts as a refused socket.
    public static func connect(stateDirectory: String, daemonPath: String, timeout: TimeInterval = 15) throws -> DaemonClient {
        try StateDirectory.check(stateDirectory)
        let socketPath = (stateDirectory as NSString).appendingPathComponent(Daemon.socketName)
        if case .success(let fd) = UnixSocket.connect(to: socketPath) {
            do {
                return try DaemonClient(fd: fd, socket: socketPath)
            } catch let error as WireError where error.kind == .closedBeforeHello {
                // The daemon was stopping: behind the start lock, it is gone (or another client has
                // started the next one).
            }
        }
        let lockPath = (stateDirectory as NSString).appendingPathComponent(startLockName)
        let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw WireError("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        defer { close(lock) }
        guard flock(lock, LOCK_EX) == 0 else { throw WireError("cannot lock \(lockPath)") }
        defer { flock(lock, LOCK_UN) }
        if case .success(let fd) = UnixSocket.connect(to: socketPath) { return try DaemonClient(fd: fd, socket: socketPath) }
        unlink(socketPath)
        return try start(daemonPath, arguments: ["--state-dir", stateDirectory], stateDirectory: stateDirectory, timeout: timeout)
    }

    /// Starts `executable --foreground ARGUMENTS` in a session of its own, its output appended to
    /// the state directory's banditd.log, and waits until that very process answers a hello on the
    /// socket (another daemon answering does not count), or exits, or `timeout` passes, plus the time
    /// its check of the database may take (`checkAllowance` per GB of bandit.db).
    public static func start(_ executable: String, arguments: [String], stateDirectory: String,
                             timeout: TimeInterval = 15) throws -> DaemonClient {
        let socketPath = (stateDirectory as NSString).appendingPathComponent(Daemon.socketName)
        let logPath = (stateDirectory as NSString).appendingPathComponent(Daemon.logName)
        var pid: pid_t = 0
        let cArguments = ([executable, "--foreground"] + arguments).map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let spawned = bandit_spawn_detached(executable, cArguments, logPath, &pid)
        guard spawned == 0 else {
            throw WireError("cannot start \(executable): \(String(cString: strerror(spawned)))")
        }
        let databaseBytes = (try? FileManager.default.attributesOfItem(atPath: (stateDirectory as NSString)
            .appendingPathComponent(Store.databaseName))[.size] as? Int) ?? 0  // No file yet: nothing to check.
        let allowed = timeout + checkAllowance * Double(databaseBytes) / 1e9
        let deadline = Date().addingTimeInterval(allowed)
        while Date() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                // The daemon's last words, without its own "banditd: " (this sentence names it).
                let reason = lastLine(of: logPath).map { $0.hasPrefix("banditd: ") ? String($0.dropFirst(9)) : $0 }
                throw WireError("banditd could not start: \(reason ?? "exit status \(status >> 8)")")
            }
            // Until it listens, a hello may fail (or reach a daemon that is about to refuse ours,
            // which then exits with its reason): keep trying until it answers, exits, or time is up.
            if case .success(let fd) = UnixSocket.connect(to: socketPath), let client = try? DaemonClient(fd: fd, socket: socketPath),
               client.daemonPID == pid {
                return client
            }
            usleep(20_000)
        }
        throw WireError("banditd did not answer on \(socketPath) within \(Int(allowed)) s; see \(logPath)")
    }

    /// Seconds per GB of database a starting daemon is given for its quick_check (measured: about
    /// 4.6 s of CPU per GB on this project's machine, read sequentially first).
    static let checkAllowance = 15.0

    /// The last line of the daemon's log (why it could not start), or nil when there is none to read.
    private static func lastLine(of path: String) -> String? {
        do {
            return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").last.map(String.init)
        } catch {
            // No log (the daemon died before writing one): the caller says the exit status instead.
            return nil
        }
    }
}
