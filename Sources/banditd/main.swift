// banditd: the daemon's executable. Options and configuration, logging, signals; the rest is BanditServer.

import BanditServer
import CBanditSystem
import Foundation
import Logging

let usage = """
    usage: banditd [--state-dir DIR] [--config FILE] [--foreground] [--threads N] [--no-auto-resume]
                   [--log-level trace|debug|info|notice|warning|error|critical] [--synchronous normal|full]

    The bandit daemon of one state directory: it owns DIR/bandit.db and serves bandit clients on
    DIR/banditd.sock. Without --foreground it detaches (new session, logs to DIR/banditd.log) and exits
    once the daemon answers; --foreground stays attached and logs to standard error (for service managers).
    """

struct Settings {
    var stateDirectory: String?
    var threads = ProcessInfo.processInfo.activeProcessorCount
    var autoResume = true
    var logLevel = Logger.Level.info
    var synchronous = "normal"
    var foreground = false
    var config: String?
}

func fail(_ message: String, status: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("banditd: \(message)\n".utf8))
    exit(status)
}

/// `key = value` lines; `#` starts a comment. Unknown keys are refused, to catch typos.
func apply(configFile path: String, to settings: inout Settings) {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { fail("cannot read \(path)", status: 1) }
    for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0].trimmingCharacters(in: .whitespaces)
        guard !line.isEmpty else { continue }
        let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else { fail("\(path):\(number + 1): expected key = value", status: 1) }
        set(parts[0], parts[1], in: &settings, source: "\(path):\(number + 1)")
    }
}

func set(_ key: String, _ value: String, in settings: inout Settings, source: String) {
    switch key {
    case "state_dir": settings.stateDirectory = (value as NSString).expandingTildeInPath
    case "threads":
        guard let n = Int(value), (1...1024).contains(n) else { fail("\(source): threads must be 1 to 1024, not '\(value)'", status: 1) }
        settings.threads = n
    case "auto_resume":
        guard ["yes", "no", "true", "false"].contains(value) else { fail("\(source): auto_resume must be yes or no", status: 1) }
        settings.autoResume = value == "yes" || value == "true"
    case "log_level":
        guard let level = Logger.Level(rawValue: value) else { fail("\(source): unknown log level '\(value)'", status: 1) }
        settings.logLevel = level
    case "synchronous":
        guard ["normal", "full"].contains(value) else { fail("\(source): synchronous must be normal or full", status: 1) }
        settings.synchronous = value
    default: fail("\(source): unknown setting '\(key)'", status: 1)
    }
}

func parse(_ arguments: [String]) -> Settings {
    var settings = Settings()
    var rest = arguments[...]
    var overrides: [(String, String)] = []
    func value(_ flag: String) -> String {
        guard let next = rest.popFirst() else { fail("\(flag) needs a value\n\(usage)") }
        return next
    }
    while let argument = rest.popFirst() {
        switch argument {
        case "--state-dir": overrides.append(("state_dir", value(argument)))
        case "--config": settings.config = value(argument)
        case "--foreground": settings.foreground = true
        case "--threads": overrides.append(("threads", value(argument)))
        case "--no-auto-resume": overrides.append(("auto_resume", "no"))
        case "--log-level": overrides.append(("log_level", value(argument)))
        case "--synchronous": overrides.append(("synchronous", value(argument)))
        case "-h", "--help":
            print(usage)
            exit(0)
        default: fail("unknown option '\(argument)'\n\(usage)")
        }
    }
    let environment = ProcessInfo.processInfo.environment
    let defaultConfig = (environment["XDG_CONFIG_HOME"].map { $0 + "/bandit" } ?? NSHomeDirectory() + "/.config/bandit") + "/bandit.conf"
    if let config = settings.config {
        apply(configFile: config, to: &settings)
    } else if FileManager.default.fileExists(atPath: defaultConfig) {
        apply(configFile: defaultConfig, to: &settings)
    }
    for (key, value) in overrides { set(key, value, in: &settings, source: "command line") }
    return settings
}

var settings = parse(Array(CommandLine.arguments.dropFirst()))
let environment = ProcessInfo.processInfo.environment
let directory = settings.stateDirectory
    ?? environment["BANDIT_STATE_DIR"].flatMap { $0.isEmpty ? nil : $0 }
    ?? environment["XDG_STATE_HOME"].map { $0 + "/bandit" }
    ?? NSHomeDirectory() + "/.local/state/bandit"
do {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
} catch {
    fail("cannot create the state directory \(directory): \((error as NSError).localizedDescription)", status: 1)
}

if !settings.foreground {
    // Detach: start ourselves in a new session with the log file as output, and wait for the socket.
    let log = directory + "/banditd.log"
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
    let arguments = [executable, "--foreground"] + CommandLine.arguments.dropFirst()
    let cArguments = arguments.map { strdup($0) } + [nil]
    var pid: pid_t = 0
    guard bandit_spawn_detached(executable, cArguments, log, &pid) == 0 else { fail("cannot start in the background", status: 1) }
    for _ in 0..<500 {
        if case .success(let fd) = UnixSocket.connect(to: directory + "/" + Daemon.socketName) {
            close(fd)
            print("banditd \(pid) serving \(directory)")
            exit(0)
        }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            let last = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").last.map(String.init)
            fail(last ?? "the daemon exited", status: 1)
        }
        usleep(20_000)
    }
    fail("the daemon did not answer; see \(log)", status: 1)
}

let level = settings.logLevel
LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = level
    return handler
}
let logger = Logger(label: "banditd")
signal(SIGPIPE, SIG_IGN)
let daemon: Daemon
do {
    daemon = try Daemon(configuration: .init(stateDirectory: directory, threads: settings.threads, autoResume: settings.autoResume,
                                             synchronous: settings.synchronous == "full" ? .full : .normal), logger: logger)
} catch {
    logger.critical("\(error)")
    fail("\(error)", status: 1)
}
// SIGTERM and SIGINT: the handler only writes a byte to a pipe; a thread reads it and stops the daemon.
enum Signals {
    nonisolated(unsafe) static var pipe: (read: Int32, write: Int32) = (-1, -1)
}
var signalPipe: [Int32] = [-1, -1]
_ = pipe(&signalPipe)
Signals.pipe = (signalPipe[0], signalPipe[1])
for signalNumber in [SIGTERM, SIGINT] {
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { number in
        var byte = UInt8(truncatingIfNeeded: number)
        _ = write(Signals.pipe.write, &byte, 1)
    }
    sigemptyset(&action.sa_mask)
    action.sa_flags = SA_RESTART
    sigaction(signalNumber, &action, nil)
}
var unblock = sigset_t()
sigemptyset(&unblock)
sigaddset(&unblock, SIGTERM)
sigaddset(&unblock, SIGINT)
pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
let watcher = Thread {
    var byte: UInt8 = 0
    while read(Signals.pipe.read, &byte, 1) < 0 && errno == EINTR {}
    logger.info("signal \(byte): stopping")
    daemon.stop()
}
watcher.start()
do {
    try daemon.run()
} catch {
    logger.critical("\(error)")
    fail("\(error)", status: 1)
}
exit(0)
