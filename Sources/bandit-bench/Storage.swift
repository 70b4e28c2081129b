// Workloads 9–11: what the writer commits per day, how fast a process answers its first command, and
// what a 1,000-run compare costs with every decision kept or only its runs' summaries.

import BanditCommands
import BanditCore
import BanditJobs
import BanditStore
import Foundation

/// 9. Group commit: the notebook's compare with 100 runs per policy (4,200 days) played by the job
/// engine into a fresh store, once with a transaction per day and once with the writer committing
/// every day waiting (up to 64) in one transaction; rows and pages written per day, by SQLite's counts.
func groupCommit() throws {
    let policies: [Policy] = [.greedy, .epsilonGreedy(0.1), .thompson(30)]
    let schedule = Schedule(decisionsPerDay: 100, days: 14, runs: 100)
    let days = Double(policies.count * schedule.runs * schedule.days)
    var single = 0.0
    var contents: [[[String]]] = []
    for limit in [1, Footprint.commitBatchDays] {
        var counts = (rows: 0, pages: 0), bytes = 0
        var content: [[String]] = []
        let time = try median(3) {
            let directory = scratchDirectory()
            let store = try Store(directory: directory)
            defer {
                store.close()
                try? FileManager.default.removeItem(atPath: directory)
            }
            var experiment = try store.createExperiment(name: "e", seed: 17, generator: Generator(kind: .default, seed: 17))
            experiment.world = try World.draw(features: 5, actions: 30, using: &experiment.generator)
            try store.save(experiment)
            let executor = JobExecutor(store: store, batchLimit: limit)
            let job = try executor.create(experiment: experiment, command: "compare", policies: policies, schedule: schedule)
            let before = try store.writeCounts()
            _ = try executor.execute(jobID: job.id)
            let after = try store.writeCounts()
            counts = (after.rows - before.rows, after.pages - before.pages)
            bytes = fileSize(directory + "/bandit.db") + fileSize(directory + "/bandit.db-wal")
            content = try store.sql("SELECT policy, day, quote(mean), quote(se) FROM result_days ORDER BY policy, day")
        }
        contents.append(content)
        let name = limit == 1 ? "a transaction a day" : "group commit, ≤ \(limit) days"
        var extra = String(format: "  %6.1f rows/day  %5.2f pages/day  %.0f MB", Double(counts.rows) / days, Double(counts.pages) / days,
                           Double(bytes) / 1e6)
        if limit == 1 { single = time } else { extra += String(format: "  %.2f× the time", time / single) }
        report("9. notebook compare × 100 runs, \(name)", time, decisions: Int(days) * 100, extra: extra)
    }
    print("   the same curves either way: \(contents[0] == contents[1] ? "yes, bit for bit" : "NO")")
}

func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
}

/// The release executables beside this benchmark.
func sibling(_ name: String) throws -> String {
    let path = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        .appendingPathComponent(name).path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw CommandError.failed("no \(name) beside bandit-bench (\(path)): swift build -c release --product \(name)")
    }
    return path
}

/// Seconds from starting `bandit arguments` to the first byte of its reply on standard output (the
/// process then runs to its end, which is waited for but not counted). Started with posix_spawn:
/// Foundation's `Process` adds tens of milliseconds of its own to a start.
func timeToFirstReply(_ arguments: [String]) throws -> Double {
    let executable = try sibling("bandit")
    var pipe: [Int32] = [0, 0]
    guard Glibc.pipe(&pipe) == 0 else { throw CommandError.failed("pipe: \(String(cString: strerror(errno)))") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addclose(&actions, pipe[0])
    posix_spawn_file_actions_addclose(&actions, pipe[1])
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let start = clock.now
    let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    close(pipe[1])
    defer { close(pipe[0]) }
    guard spawned == 0 else { throw CommandError.failed("posix_spawn \(executable): \(String(cString: strerror(spawned)))") }
    var byte: UInt8 = 0
    let got = read(pipe[0], &byte, 1)
    let time = seconds(clock.now - start)
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while read(pipe[0], &buffer, buffer.count) > 0 {}
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    guard got == 1, status == 0 else {
        throw CommandError.failed("bandit \(arguments.joined(separator: " ")) replied nothing (status \(status))")
    }
    return time
}

/// Runs a script in a process of its own (`bandit --no-daemon`), as a user would.
func banditScript(_ directory: String, _ script: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try sibling("bandit"))
    process.arguments = ["--no-daemon", "--state-dir", directory, "-c", script]
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CommandError.failed("bandit -c '\(script)' failed") }
}

/// 10. Start-up: from starting `bandit` to the first byte of the reply to `experiments`, with
/// `--no-daemon` (a new state directory, then one holding the notebook's compare) and through a
/// daemon (already running: connect, hello, `experiments`; and none running, so that the client
/// starts one). Medians of 11; the `--version` of the same executable is the floor.
func startUp() throws {
    let directory = scratchDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    var fresh = 0
    let floor = try median(11) { _ = try timeToFirstReply(["--version"]) }
    report("10. start-up floor: bandit --version", floor)
    let created = try median(11) {
        fresh += 1
        _ = try timeToFirstReply(["--no-daemon", "--state-dir", directory + "/new\(fresh)", "-c", "experiments"])
    }
    report("10. --no-daemon, new state directory (database created): experiments", created)
    let state = directory + "/nb"
    try banditScript(state, "new nb seed 17; world features 5 actions 30; compare greedy eps:0.1 ts:30 runs 10 days 14")
    let existing = try median(11) { _ = try timeToFirstReply(["--no-daemon", "--state-dir", state, "-c", "experiments"]) }
    report("10. --no-daemon, the notebook's compare stored (\(fileSize(state + "/bandit.db") / 1_000_000) MB): experiments", existing)
    // None running: the client starts banditd, waits for its socket, then asks. `shutdown` stops it.
    let daemonState = directory + "/d"
    try banditScript(daemonState, "new nb seed 17; world features 5 actions 30; compare greedy eps:0.1 ts:30 runs 10 days 14")
    var starts: [Double] = []
    for _ in 0..<5 {
        starts.append(try timeToFirstReply(["--state-dir", daemonState, "-c", "experiments"]))
        _ = try timeToFirstReply(["--state-dir", daemonState, "-c", "shutdown"])
        // The next start waits for this daemon to be gone (its start lock).
        usleep(200_000)
    }
    let cold = starts.sorted()[starts.count / 2]
    report("10. through a daemon started by the client: experiments", cold)
    _ = try timeToFirstReply(["--state-dir", daemonState, "-c", "experiments"])
    let warm = try median(11) { _ = try timeToFirstReply(["--state-dir", daemonState, "-c", "experiments"]) }
    report("10. through a running daemon (connect, hello, experiments)", warm)
    _ = try timeToFirstReply(["--state-dir", daemonState, "-c", "shutdown"])
}

/// 11. A big sweep in one store: the notebook's compare with 1,000 runs per policy (4.2 million
/// decisions) through the interpreter, as the daemon plays it, with everything kept (`set keep
/// decisions`) or only the finished runs' day summaries and last checkpoints (`set keep summaries`);
/// then how long `bandit --no-daemon -c experiments` takes to answer on the file it made.
func bigSweep(keep: DecisionKeeping) throws {
    let directory = scratchDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let store = try Store(directory: directory)
    let interpreter = Interpreter(session: Session(workspace: Workspace(store: store), workingDirectory: directory))
    for line in ["new e seed 17; world features 5 actions 30; set keep \(keep.rawValue)"] {
        for outcome in interpreter.run(line) where outcome.error != nil { throw CommandError.failed("\(line): \(outcome.error!)") }
    }
    let compare = "compare greedy eps:0.1 ts:30 runs 1000 days 14"
    let start = clock.now
    for outcome in interpreter.run(compare) where outcome.error != nil { throw CommandError.failed("\(compare): \(outcome.error!)") }
    let time = seconds(clock.now - start)
    store.close()
    let decisions = 3 * 1000 * 14 * 100
    let bytes = fileSize(directory + "/bandit.db") + fileSize(directory + "/bandit.db-wal")
    report("11. \(compare), keep \(keep.rawValue)", time, decisions: decisions,
           extra: String(format: "  %.0f MB, %.1f bytes per decision", Double(bytes) / 1e6, Double(bytes) / Double(decisions)))
    let opening = try median(5) { _ = try timeToFirstReply(["--no-daemon", "--state-dir", directory, "-c", "experiments"]) }
    report("11. then bandit --no-daemon -c experiments on that file", opening)
}
