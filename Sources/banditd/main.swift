// banditd: the daemon's executable. Options and configuration, logging, signals; the rest is BanditServer.

import BanditCommands
import BanditServer
import Foundation
import Logging

let usage = """
    usage: banditd [--state-dir DIR] [--config FILE] [--foreground] [--threads N] [--no-auto-resume]
                   [--log-level trace|debug|info|notice|warning|error|critical] [--synchronous normal|full]
                   [--max-connections N] [--hello-timeout SECONDS] [--idle-exit SECONDS]
       banditd --version

    The bandit daemon of one state directory: it owns DIR/bandit.db and serves bandit clients on
    DIR/banditd.sock. Without --foreground it detaches (new session, logs to DIR/banditd.log) and exits
    once the daemon answers; --foreground stays attached and logs to standard error (for service managers).

      --state-dir DIR      the state directory (default: state_dir in bandit.conf, else
                           $BANDIT_STATE_DIR, else $XDG_STATE_HOME/bandit, else ~/.local/state/bandit)
      --config FILE        read settings from FILE instead of ~/.config/bandit/bandit.conf
      --foreground         stay attached and log to standard error (for systemd)
      --threads N          threads for the runs of a job (default: all cores)
      --no-auto-resume     leave interrupted jobs for 'resume' instead of continuing them at start
      --log-level LEVEL    trace, debug, info (default), notice, warning, error or critical
      --synchronous MODE   normal (default) survives any crash of the process; full also a power cut
      --max-connections N  clients served at once, 1 to 10000 (default 64)
      --hello-timeout SECONDS
                           how long a new connection has to say hello (default 5)
      --idle-exit SECONDS  stop after this long with no client and no job (a number of seconds, or
                           with a unit: 90s, 10min, 2h; default 10min; 0 = never)
      -h, --help           this text
      --version            print the version and exit

    Memory and disk limits (memory_limit, disk_limit) and every other setting: bandit.conf, banditd(8).
    """

func fail(_ message: String, status: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("banditd: \(message)\n".utf8))
    exit(status)
}

/// The options, then bandit.conf (`--config FILE` or the default one), resolved as `bandit` resolves them.
func parse(_ arguments: [String]) -> (settings: Settings, foreground: Bool) {
    var rest = arguments[...]
    var overrides: [(String, String)] = []
    var config: String?, foreground = false
    func value(_ flag: String) -> String {
        guard let next = rest.popFirst() else { fail("\(flag) needs a value\n\(usage)") }
        return next
    }
    while let argument = rest.popFirst() {
        switch argument {
        case "--state-dir": overrides.append(("state_dir", value(argument)))
        case "--config": config = value(argument)
        case "--foreground": foreground = true
        case "--threads": overrides.append(("threads", value(argument)))
        case "--no-auto-resume": overrides.append(("auto_resume", "no"))
        case "--log-level": overrides.append(("log_level", value(argument)))
        case "--synchronous": overrides.append(("synchronous", value(argument)))
        case "--max-connections": overrides.append(("max_connections", value(argument)))
        case "--hello-timeout": overrides.append(("hello_timeout", value(argument)))
        case "--idle-exit": overrides.append(("idle_exit", value(argument)))
        case "--version":
            print("banditd \(BanditVersion.number)")
            exit(0)
        case "-h", "--help":
            print(usage)
            exit(0)
        default: fail("unknown option '\(argument)'\n\(usage)")
        }
    }
    do {
        return (try Settings.load(config: config, overrides: overrides, environment: ProcessInfo.processInfo.environment), foreground)
    } catch {
        fail(error.description, status: 1)
    }
}

// Whatever the daemon creates (directories, the pid file, the socket, the log, the database) is its
// user's alone, whatever umask it was started with.
umask(0o077)
let (settings, foreground) = parse(Array(CommandLine.arguments.dropFirst()))
let directory = settings.stateDirectory(environment: ProcessInfo.processInfo.environment)

if !foreground {
    // Detach: start ourselves in a session of our own, logging to the state directory (made
    // private first: the log goes there), and wait until that process (not another daemon
    // already there) answers.
    do {
        if let change = try StateDirectory.prepare(directory) { FileHandle.standardError.write(Data("banditd: \(change)\n".utf8)) }
    } catch {
        fail(error.description, status: 1)
    }
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
    do {
        let client = try DaemonClient.start(executable, arguments: Array(CommandLine.arguments.dropFirst()), stateDirectory: directory)
        print("banditd \(client.daemonPID) serving \(directory)")
        client.bye()
        exit(0)
    } catch {
        fail("\(error)", status: 1)
    }
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
                                             synchronous: settings.synchronous, maxConnections: settings.maxConnections,
                                             helloTimeout: settings.helloTimeout, limits: settings.resourceLimits(),
                                             idleExit: settings.idleExit),
                         logger: logger)
} catch {
    logger.critical("\(error)")
    fail("\(error)", status: 1)
}
// SIGTERM and SIGINT: the handler only writes a byte to a pipe; a thread reads it and stops the daemon.
SignalPipe.install([SIGTERM, SIGINT])
let watcher = Thread {
    let number = SignalPipe.next()
    logger.info("signal \(number): stopping")
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
