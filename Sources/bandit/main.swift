// bandit: the REPL. Reads commands from a terminal (readline), a script, `-c`, or standard input.

import BanditCommands
import BanditServer
import Foundation

let usage = """
    usage: bandit [--state-dir DIR] [-e NAME] [--no-daemon] [--keep-going] [--format FORMAT] [-c 'CMD; CMD' | SCRIPT | shard PLAN INDEX]
           bandit --help | --man | --version

    A contextual-bandit recommender simulator. On a terminal, a REPL: type 'help' for the commands.
    Otherwise it runs the commands of SCRIPT, of -c, or of standard input, stopping at the first
    error (exit status 1) unless --keep-going is given. Commands execute in banditd, the daemon of
    the state directory, started when none runs; --no-daemon runs them in this process instead.
    Lines made only of 'help' are answered without the daemon or the state directory.

      --state-dir DIR  where the database lives (default: state_dir in bandit.conf, else
                       $BANDIT_STATE_DIR, else $XDG_STATE_HOME/bandit, else ~/.local/state/bandit)
      -e, --experiment NAME
                       start in experiment NAME (default: $BANDIT_EXPERIMENT; the REPL: the
                       experiment it used last in this state directory)
      -c 'CMD; CMD'    run these commands and exit
      shard PLAN INDEX play shard INDEX of a sweep plan (what sweep.sbatch runs)
      --no-daemon      run the engine in this process (one-shot scripts)
      --keep-going     in a script, report errors and go on (the rest of the line too)
      --format FORMAT  write replies as table (default), json (one object per line) or csv
      -h, --help       this text
      --man            print the manual page (man/bandit.1)
      --version        print the version
    """

struct Options {
    var stateDirectory: String?
    var commands: String?
    var script: String?
    var keepGoing = false
    var noDaemon = false
    var experiment: String?
    var format = OutputFormat.table
}

func fail(_ message: String, status: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("bandit: \(message)\n".utf8))
    exit(status)
}

func parseOptions(_ arguments: [String]) -> Options {
    var options = Options()
    var rest = arguments[...]
    while let argument = rest.popFirst() {
        switch argument {
        case "--state-dir":
            guard let value = rest.popFirst(), !value.isEmpty else { fail("--state-dir needs a directory\n\(usage)") }
            options.stateDirectory = value
        case "-c":
            guard let value = rest.popFirst() else { fail("-c needs commands\n\(usage)") }
            options.commands = value
        case "-e", "--experiment":
            guard let value = rest.popFirst(), !value.isEmpty else { fail("\(argument) needs an experiment's name\n\(usage)") }
            options.experiment = value
        case "--format":
            guard let value = rest.popFirst(), let format = OutputFormat(rawValue: value) else {
                fail("--format needs table, json or csv\n\(usage)")
            }
            options.format = format
        case "--keep-going": options.keepGoing = true
        case "--no-daemon": options.noDaemon = true
        case "-h", "--help":
            print(usage)
            exit(0)
        case "--man":
            print(ManPage.bandit(), terminator: "")
            exit(0)
        case "--version":
            print("bandit \(BanditVersion.number)")
            exit(0)
        case "shard" where options.script == nil && options.commands == nil:
            // `bandit ... shard PLAN INDEX`: what a Slurm array task runs, the command's words as arguments.
            guard let line = ParsedCommand(words: ["shard"] + rest, background: false).line else {
                fail("shard takes a plan's path and an index without quotes in them")
            }
            options.commands = line
            rest = []
        default:
            guard !argument.hasPrefix("-"), options.script == nil else { fail("unknown option '\(argument)'\n\(usage)") }
            options.script = argument
        }
    }
    if options.commands != nil && options.script != nil { fail("give either -c or a SCRIPT, not both") }
    return options
}

/// The settings as banditd resolves them: the state directory from --state-dir, else bandit.conf's
/// state_dir, else $BANDIT_STATE_DIR, else $XDG_STATE_HOME/bandit, else ~/.local/state/bandit.
func settings(_ options: Options) -> Settings {
    do {
        return try Settings.load(config: nil, overrides: options.stateDirectory.map { [("state_dir", $0)] } ?? [],
                                 environment: ProcessInfo.processInfo.environment)
    } catch {
        fail(error.description, status: 1)
    }
}

/// Creates the state directory (and its parents) if needed; the directory itself is 0700.
func prepare(_ directory: String) {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
        if !isDirectory.boolValue { fail("\(directory) is not a directory", status: 1) }
        return
    }
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    } catch {
        fail("cannot create the state directory \(directory): \(fileErrorReason(error, path: directory, creating: true))", status: 1)
    }
}

/// banditd next to this executable, else on the PATH.
func daemonExecutable() -> String? {
    let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    let sibling = here.appendingPathComponent("banditd").path
    if FileManager.default.isExecutableFile(atPath: sibling) { return sibling }
    for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
        let candidate = "\(directory)/banditd"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

let options = parseOptions(Array(CommandLine.arguments.dropFirst()))
/// The script, read before anything starts: a file that cannot be read starts no daemon.
let scriptText: String? = options.script.map { script in
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: script, isDirectory: &isDirectory), isDirectory.boolValue {
        fail("cannot read \(script): it is a directory", status: 1)
    }
    do {
        return try String(contentsOfFile: script, encoding: .utf8)
    } catch {
        fail("cannot read \(script): \(fileErrorReason(error, path: script))", status: 1)
    }
}
let resolved = settings(options)
let directory = resolved.stateDirectory(environment: ProcessInfo.processInfo.environment)
Interrupts.install()
/// The state directory and the engine (the daemon, or this process with --no-daemon), made when the
/// first line that is not only help comes: help alone leaves no directory and starts no daemon.
func makeRunner() -> Runner {
    prepare(directory)
    do {
        if options.noDaemon {
            return try LocalRunner(stateDirectory: directory, threads: resolved.threads, limits: resolved.resourceLimits())
        }
        guard let daemon = daemonExecutable() else { fail("cannot find banditd next to bandit or on the PATH; use --no-daemon", status: 1) }
        return try RemoteRunner(stateDirectory: directory, daemonPath: daemon)
    } catch {
        fail("\(error)", status: 1)
    }
}
let deferred = DeferredRunner(make: makeRunner)
let runner: Runner = deferred

/// Where the REPL keeps the experiment it used last, as it keeps its history.
let lastExperimentFile = directory + "/last-experiment"
let interactive = options.commands == nil && options.script == nil && isatty(STDIN_FILENO) == 1
if let name = options.experiment ?? ProcessInfo.processInfo.environment["BANDIT_EXPERIMENT"].flatMap({ $0.isEmpty ? nil : $0 }) {
    if let error = runner.use(name) {
        runner.close()
        fail("\(options.experiment != nil ? "-e" : "BANDIT_EXPERIMENT") \(echo(name)): \(error)", status: 1)
    }
} else if interactive, let name = LastExperiment.read(lastExperimentFile) {
    // Chosen with the first command, so that a REPL that only asks for help starts no daemon.
    deferred.useLater(name)
}

let status: Int32
if let commands = options.commands {
    status = Script.run(lines: [commands], numbered: false, runner: runner, keepGoing: options.keepGoing, format: options.format)
} else if let text = scriptText {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    status = Script.run(lines: lines, numbered: lines.count > 1, runner: runner, keepGoing: options.keepGoing, format: options.format)
} else if isatty(STDIN_FILENO) == 1 {
    // The history lives in the state directory: the REPL makes it, though its daemon waits for a command.
    prepare(directory)
    let history = ProcessInfo.processInfo.environment["BANDIT_HISTFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? directory + "/history"
    status = LineEditor(runner: runner, historyFile: history, lastExperimentFile: lastExperimentFile, format: options.format).run()
} else {
    // Each line runs as it arrives, so that a program feeding bandit sees each reply before it sends more.
    status = Script.run(lines: AnySequence { AnyIterator { readLine(strippingNewline: true) } }, numbered: true,
                        runner: runner, keepGoing: options.keepGoing, format: options.format)
}
runner.close()
exit(status)
