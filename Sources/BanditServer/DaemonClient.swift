// The client side: find the daemon of a state directory, starting it when none answers, and talk to it.

import BanditCommands
import CBanditSystem
import Foundation

/// A connection to `banditd`, after a successful hello.
public final class DaemonClient: @unchecked Sendable {
    private let connection: FrameConnection
    public private(set) var prompt: String
    public let daemonPID: Int32

    /// Says hello on a connected socket; refused (version, uid) or failed hellos throw with the
    /// daemon's sentence.
    public init(fd: Int32, workingDirectory: String = FileManager.default.currentDirectoryPath,
                protocolVersion: Int = Wire.version) throws {
        connection = FrameConnection(fd: fd)
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
            answer = try connection.receive(ServerMessage.self)
        } catch {
            throw sendFailure ?? error
        }
        switch answer {
        case .welcome(_, let pid, let prompt)?:
            daemonPID = pid
            self.prompt = prompt
        case .refused(let message)?: throw WireError(message)
        case .error(let message)?: throw WireError(message)
        default: throw WireError("the daemon did not answer the hello")
        }
    }

    /// Runs a line; `progress` sees progress frames; when `interrupted` turns true (Ctrl-C) the
    /// daemon is asked to stop the command at its next day boundary.
    public func run(_ line: String, progress: (@Sendable (JobProgress) -> Void)?,
                    interrupted: @escaping @Sendable () -> Bool) throws -> [Outcome] {
        try connection.send(ClientMessage.run(line: line))
        let finished = Flag()
        let watcher = Thread { [connection] in
            while !finished.isSet {
                if interrupted() {
                    try? connection.send(ClientMessage.interrupt)
                    return
                }
                usleep(20_000)
            }
        }
        watcher.start()
        defer { finished.set() }
        while true {
            switch try connection.receive(ServerMessage.self) {
            case .progress(let update)?: progress?(update)
            case .result(let outcomes, let prompt)?:
                self.prompt = prompt
                return outcomes
            case .error(let message)?: throw WireError(message)
            case nil: throw WireError("the daemon closed the connection")
            default: continue
            }
        }
    }

    public func complete(_ line: String) throws -> Completion {
        try connection.send(ClientMessage.complete(line: line))
        while true {
            switch try connection.receive(ServerMessage.self) {
            case .completion(let completion)?: return completion
            case .error(let message)?: throw WireError(message)
            case nil: throw WireError("the daemon closed the connection")
            default: continue
            }
        }
    }

    public func bye() { try? connection.send(ClientMessage.bye) }

    // MARK: Finding or starting the daemon

    /// Connects to the daemon of `stateDirectory`, starting `daemonPath` when none answers.
    ///
    /// Race-safe, as tmux does it: on a refused or missing socket, take the start lock beside it and
    /// try again (another client may have started one meanwhile); only then remove a stale socket and
    /// start a daemon in its own session, and wait for it to answer.
    public static func connect(stateDirectory: String, daemonPath: String, timeout: TimeInterval = 15) throws -> DaemonClient {
        let socketPath = (stateDirectory as NSString).appendingPathComponent(Daemon.socketName)
        if case .success(let fd) = UnixSocket.connect(to: socketPath) { return try DaemonClient(fd: fd) }
        let lockPath = (stateDirectory as NSString).appendingPathComponent("banditd.start.lock")
        let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw WireError("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        defer { close(lock) }
        guard flock(lock, LOCK_EX) == 0 else { throw WireError("cannot lock \(lockPath)") }
        defer { flock(lock, LOCK_UN) }
        if case .success(let fd) = UnixSocket.connect(to: socketPath) { return try DaemonClient(fd: fd) }
        unlink(socketPath)
        let logPath = (stateDirectory as NSString).appendingPathComponent("banditd.log")
        var pid: pid_t = 0
        let arguments = [daemonPath, "--foreground", "--state-dir", stateDirectory]
        let cArguments = arguments.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let spawned = bandit_spawn_detached(daemonPath, cArguments, logPath, &pid)
        guard spawned == 0 else {
            throw WireError("cannot start \(daemonPath): \(String(cString: strerror(spawned)))")
        }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if case .success(let fd) = UnixSocket.connect(to: socketPath) { return try DaemonClient(fd: fd) }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw WireError("banditd could not start: \(lastLine(of: logPath) ?? "exit status \(status >> 8)")")
            }
            usleep(20_000)
        }
        throw WireError("banditd did not answer on \(socketPath) within \(Int(timeout)) s; see \(logPath)")
    }

    private static func lastLine(of path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").last.map(String.init)
    }
}

/// A flag set once, read from any thread.
private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
