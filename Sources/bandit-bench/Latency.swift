// Workload 5: how long `stats` and `jobs` take over the socket of a real banditd while two jobs run.

import BanditCommands
import BanditServer
import Foundation

/// The only code that touches the client's API: the protocol is about to stream replies in parts, and
/// the merge should have one place to change.
enum DaemonLink {
    static func connect(stateDirectory: String, daemonPath: String) throws -> DaemonClient {
        try DaemonClient.connect(stateDirectory: stateDirectory, daemonPath: daemonPath)
    }

    /// The plain text of a line's replies; a refused or failed command throws with its sentence.
    static func request(_ client: DaemonClient, _ line: String) throws -> String {
        let outcomes = try client.run(line, progress: nil, interrupted: { false })
        if let failed = outcomes.first(where: { $0.error != nil }) {
            throw CommandError.failed("\(line): \(failed.error!)")
        }
        return outcomes.map(\.reply.plainText).joined(separator: "\n")
    }
}

/// Kills the daemon when the workload overruns, so that a request waiting for an answer fails and the
/// workload cleans up and ends: nothing may hang `make bench`. Its state is owned by `lock`.
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var daemonPID: pid_t?
    private var disarmed = false

    init(limit: Duration) {
        let milliseconds = Int(limit.components.seconds * 1000)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(milliseconds)) { [self] in
            let (armed, pid) = lock.withLock { (!disarmed, daemonPID) }
            guard armed else { return }
            FileHandle.standardError.write(Data("bandit-bench: workload 5 overran \(limit): banditd killed\n".utf8))
            if let pid { kill(pid, SIGKILL) }
            // The last resort, for a wait the daemon's death does not end.
            sleep(10)
            exit(1)
        }
    }

    func watch(_ pid: pid_t) { lock.withLock { daemonPID = pid } }
    func disarm() { lock.withLock { disarmed = true } }
}

/// 5. Latency of reads while two jobs run: a second client alternates `stats` and `jobs` on experiment
/// `a` while `a` and `b` each run a long comparison in the background of the same daemon.
func readLatency() throws {
    let clock = ContinuousClock()
    let samplesPerCommand = 200
    // A client polling as a person or a status line would; back to back, the reader would be a third
    // load of its own and the figure would say more about it than about the daemon.
    let pause: UInt32 = 10_000
    let measuringLimit = Duration.seconds(30)
    // Sized to outlast the measurement several times over on 2 cores (about 2 minutes each with both
    // running); `shutdown` stops them at their next day boundary.
    let job = "compare greedy eps:0.1 ts:30 runs 4000 days 14 &"

    let daemonPath = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("banditd").path
    guard FileManager.default.isExecutableFile(atPath: daemonPath) else {
        throw CommandError.failed("no banditd beside bandit-bench (\(daemonPath)): swift build -c release --product banditd")
    }
    // Short, under /tmp: a socket's path must fit in 108 bytes.
    let directory = NSTemporaryDirectory() + "bandit-bench-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer {
        do {
            try FileManager.default.removeItem(atPath: directory)
        } catch {
            print("   could not remove \(directory): \(error)")
        }
    }
    // Setup (about a second), measurement, and up to a minute for the jobs to stop.
    let watchdog = Watchdog(limit: .seconds(120))
    defer { watchdog.disarm() }

    let setup = try DaemonLink.connect(stateDirectory: directory, daemonPath: daemonPath)
    let pid = setup.daemonPID
    watchdog.watch(pid)
    var reaped = false
    defer {
        // An error left the daemon running: it must not outlive the workload, nor its directory.
        if !reaped {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }
    for (name, seed) in [("a", 1), ("b", 2)] {
        _ = try DaemonLink.request(setup, "new \(name) rng default seed \(seed)")
        _ = try DaemonLink.request(setup, "world")
        _ = try DaemonLink.request(setup, job)
    }
    let runningAtStart = try runningJobs(setup, experiments: ["a", "b"])

    let reader = try DaemonLink.connect(stateDirectory: directory, daemonPath: daemonPath)
    _ = try DaemonLink.request(reader, "use a")
    var times: [String: [Double]] = ["stats": [], "jobs": []]
    let started = clock.now
    var cutShort = false
    measuring: for _ in 0..<samplesPerCommand {
        for command in ["stats", "jobs"] {
            guard clock.now - started < measuringLimit else {
                cutShort = true
                break measuring
            }
            let sent = clock.now
            _ = try DaemonLink.request(reader, command)
            times[command]!.append(seconds(clock.now - sent))
            usleep(pause)
        }
    }
    let elapsed = seconds(clock.now - started)
    let runningAtEnd = try runningJobs(setup, experiments: ["a", "b"])
    reader.bye()

    _ = try DaemonLink.request(setup, "shutdown")
    let stoppedCleanly = waitForExit(pid, within: .seconds(60))
    reaped = true

    let requests = times.values.map(\.count).reduce(0, +)
    print("5. reads over the socket while 2 jobs run ('\(job)' in a and in b)")
    guard runningAtStart.count == 2, runningAtEnd.count == 2 else {
        print("   not under load: \(runningAtStart.count) job(s) running before the \(requests) requests, \(runningAtEnd.count) after; "
              + "no figure reported (make the jobs longer)")
        return
    }
    for command in ["stats", "jobs"] {
        let sorted = times[command]!.sorted()
        guard !sorted.isEmpty else {
            print("5. \(command): no samples")
            continue
        }
        let line = "5. \(command) over the socket, 2 jobs running (\(sorted.count) samples)"
        print(line.padding(toLength: 64, withPad: " ", startingAt: 0)
              + String(format: "median %6.2f ms  p99 %6.2f ms  max %6.2f ms",
                       percentile(sorted, 0.5) * 1000, percentile(sorted, 0.99) * 1000, sorted.last! * 1000))
    }
    print(String(format: "   %d requests in %.1f s, %d ms apart, alternating; both jobs running before and after",
                 requests, elapsed, pause / 1000)
          + (cutShort ? "; cut short at \(measuringLimit)" : ""))
    for line in runningAtEnd { print("   after, \(line)") }
    if !stoppedCleanly { print("   banditd did not stop within 60 s of 'shutdown': killed") }
}

/// The experiments' jobs that the daemon says are running, as `jobs` lists them (with their progress).
func runningJobs(_ client: DaemonClient, experiments: [String]) throws -> [String] {
    var running: [String] = []
    for name in experiments {
        _ = try DaemonLink.request(client, "use \(name)")
        let listing = try DaemonLink.request(client, "jobs")
        running += listing.split(separator: "\n").filter { $0.contains("running") }.map { "\(name): " + $0 }
    }
    return running
}

/// Waits for the daemon (our child: `DaemonClient.connect` spawned it) to exit; false when it did not
/// in time, after killing it.
func waitForExit(_ pid: pid_t, within limit: Duration) -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + limit
    var status: Int32 = 0
    while clock.now < deadline {
        let waited = waitpid(pid, &status, WNOHANG)
        // -1: not our child (or already reaped), so nothing left to wait for.
        if waited == pid || waited == -1 { return true }
        usleep(20_000)
    }
    kill(pid, SIGKILL)
    waitpid(pid, &status, 0)
    return false
}

/// The nearest-rank percentile of sorted samples: the smallest sample with at least `p` of them at or below it.
func percentile(_ sorted: [Double], _ p: Double) -> Double {
    let rank = Int((p * Double(sorted.count)).rounded(.up))
    return sorted[min(max(rank, 1), sorted.count) - 1]
}
