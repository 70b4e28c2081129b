// Many clients at once on one daemon while jobs run: every reply clean, every stored number exact.

import BanditCommands
import BanditCore
@testable import BanditServer
@testable import BanditStore
import BanditTestSupport
import Foundation
import Testing

/// Lines a client sent and whether each was accepted, in order.
final class Log: @unchecked Sendable {
    private let lock = NSLock()
    /// Owned by `lock`: appended by one client thread, read once all have ended.
    private var entries: [(line: String, errors: [String])] = []

    func append(_ line: String, _ errors: [String]) { lock.withLock { entries.append((line, errors)) } }
    var all: [(line: String, errors: [String])] { lock.withLock { entries } }
}

/// A small deterministic generator for the clients' choices (SplitMix64).
struct Choices {
    var state: UInt64
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}

@Suite("Concurrency", .serialized)
struct ConcurrencyTests {
    static let clients = 8
    static let requestsPerClient = 30

    /// The setup of the experiment client k owns.
    static func ownSetup(_ k: Int) -> String {
        "new o\(k) rng \(k % 2 == 0 ? "numpy" : "default") seed \(k); world features 4 actions 6"
    }

    /// What client k may send: reads of anything, writes that conflict with a running job, and
    /// writes to its own experiment.
    static func line(_ k: Int, _ choices: inout Choices) -> (line: String, kind: String) {
        let reads = ["use j1; stats", "use j2; stats", "use j2; jobs", "experiments", "use o\(k); settings", "use j2; log 5",
                     "use j2; betas 1", "use o\(k); stats", "help step", "use j1; jobs"]
        // j2's job runs until the end: these are always refused. j1's job may end meanwhile: then
        // they are accepted, and change nothing its stored result depends on.
        let conflicts = ["use j2; world", "use j2; seed 5", "use j2; policy greedy", "use j2; reset", "use j2; fit",
                         "use j2; step 2", "use j2; runs 2 days 2", "use j2; compare greedy ts:2", "use j2; set runs 4",
                         "use j2; drop j2", "use j1; seed 7", "use j1; policy greedy", "use j1; step 1", "use j1; set runs 4"]
        let own = ["step 1", "day 1", "fit", "seed \(k * 10 + choices.next(9))", "set decisions \(20 + choices.next(40))",
                   "policy eps 0.2", "policy ts 3", "reset", "runs 2 days 3", "compare greedy ts:2 runs 2 days 2"]
        switch choices.next(3) {
        case 0: return (reads[choices.next(reads.count)], "read")
        case 1: return (conflicts[choices.next(conflicts.count)], "conflict")
        default: return ("use o\(k); " + own[choices.next(own.count)], "own")
        }
    }

    @Test("8 clients mix reads, conflicting writes and their own writes while two jobs run: clean replies, exact state")
    func stress() throws {
        let directory = temporaryDirectory(), state = directory + "/state"
        defer { stopDaemon(state) }
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let daemonPath = try builtExecutable("banditd")
        let setup = try DaemonClient.connect(stateDirectory: state, daemonPath: daemonPath)
        func must(_ client: DaemonClient, _ line: String) throws -> [Outcome] {
            let outcomes = try client.run(line, progress: nil, interrupted: { false })
            for outcome in outcomes where outcome.error != nil { Issue.record("\(line): \(outcome.error!)") }
            return outcomes
        }
        _ = try must(setup, "new j1 rng numpy seed 3; world features 4 actions 8; new j2 rng default seed 4; world features 4 actions 8; policy ts 3")
        for k in 0..<Self.clients { _ = try must(setup, Self.ownSetup(k)) }
        _ = try must(setup, "use j1; compare greedy ts:3 runs 6 days 30 &")
        _ = try must(setup, "use j2; step 1000000 &")

        let logs = (0..<Self.clients).map { _ in Log() }
        let failures = Log(), refused = Log()
        DispatchQueue.concurrentPerform(iterations: Self.clients) { k in
            do {
                let client = try DaemonClient.connect(stateDirectory: state, daemonPath: daemonPath)
                defer { client.bye() }
                var choices = Choices(state: UInt64(k) &* 7919)
                for _ in 0..<Self.requestsPerClient {
                    let (line, kind) = Self.line(k, &choices)
                    let outcomes = try client.run(line, progress: nil, interrupted: { false })
                    let errors = outcomes.compactMap(\.error)
                    if kind == "own" { logs[k].append(String(line.drop(while: { $0 != ";" }).dropFirst(2)), errors) }
                    if kind == "conflict" && !errors.isEmpty { refused.append(line, errors) }
                    for error in errors {
                        let clean = error.hasPrefix("job ") && error.hasSuffix("' first") && error.contains(" is playing j")
                            || error.hasPrefix("no live run yet")
                        if !clean || error.localizedCaseInsensitiveContains("sqlite") || error.contains("constraint") {
                            failures.append("\(line) [\(kind)]", [error])
                        }
                        if kind == "own" && !error.hasPrefix("no live run yet") { failures.append("\(line) [own refused]", [error]) }
                        if line.hasPrefix("use j2;") && !line.hasSuffix("stats") && kind == "conflict"
                            && error != "job 2 is playing j2: 'wait 2' or 'cancel 2' first" {
                            failures.append("\(line) [j2]", [error])
                        }
                    }
                    if kind == "conflict" && line.hasPrefix("use j2;") && errors.isEmpty { failures.append("\(line) [j2 accepted]", []) }
                }
            } catch {
                failures.append("client \(k)", ["\(error)"])
            }
        }
        for failure in failures.all { Issue.record("\(failure.line): \(failure.errors)") }
        #expect(refused.all.count > 0, "no write met a running job")

        // Stop j2's live job where it is, let j1's finish, and leave the daemon.
        _ = try must(setup, "use j2; cancel 2")
        _ = try must(setup, "use j1; wait 1; use j2; wait 2")
        _ = try must(setup, "shutdown")
        setup.bye()
        for _ in 0..<500 where daemonPID(state) != nil { usleep(20_000) }

        let store = try Store(directory: state)
        defer { store.close() }
        // j1's curves: exactly the engine's compare from the job's start generator.
        let j1 = try #require(try store.experiment(named: "j1")), job1 = try #require(try store.job(id: 1))
        #expect(job1.state == .finished)
        var generator = job1.startGenerator
        let expected = Experiment.compare(world: try #require(j1.world), policies: job1.policies, schedule: job1.schedule,
                                          generator: &generator, oracleValue: try #require(j1.world).oracle().best)
        let stored = try store.results(experimentID: j1.id).map(\.curve)
        #expect(stored.map { $0.mean.map(\.bitPattern) } == expected.map { $0.mean.map(\.bitPattern) })
        #expect(stored.map { $0.standardError.map(\.bitPattern) } == expected.map { $0.standardError.map(\.bitPattern) })

        // j2's live run, cancelled after D days: exactly `step D` played alone.
        let j2 = try #require(try store.experiment(named: "j2")), live = try #require(try store.liveRun(experimentID: j2.id))
        let played = try store.days(runID: live.id)
        #expect(played.count > 0 && played.count == live.daysPlayed)
        let reference = try Store(directory: temporaryDirectory())
        defer { reference.close() }
        let session = Session(workspace: Workspace(store: reference, threads: 2))
        let replay = Interpreter(session: session)
        func replayed(_ line: String) -> [String] { replay.run(line).compactMap(\.error) }
        #expect(replayed("new j2 rng default seed 4; world features 4 actions 8; policy ts 3; step \(played.count)").isEmpty)
        let referenceJ2 = try #require(try reference.experiment(named: "j2"))
        let referenceLive = try #require(try reference.liveRun(experimentID: referenceJ2.id))
        #expect(try reference.days(runID: referenceLive.id) == played)
        #expect(referenceJ2.generator == j2.generator)
        #expect(try reference.latestCheckpoint(runID: referenceLive.id, world: try #require(j2.world)).coefficients
            == store.latestCheckpoint(runID: live.id, world: try #require(j2.world)).coefficients)

        // Each client's own experiment: exactly what its accepted writes give, replayed one by one.
        for k in 0..<Self.clients {
            #expect(replayed(Self.ownSetup(k)).isEmpty)
            for entry in logs[k].all where entry.errors.isEmpty { #expect(replayed(entry.line).isEmpty, "\(entry.line)") }
            let mine = try #require(try store.experiment(named: "o\(k)"))
            let theirs = try #require(try reference.experiment(named: "o\(k)"))
            #expect(mine.generator == theirs.generator && mine.world == theirs.world && mine.schedule == theirs.schedule
                && mine.policy == theirs.policy, "o\(k)")
            #expect(try store.results(experimentID: mine.id).map(\.curve) == reference.results(experimentID: theirs.id).map(\.curve))
            let a = try store.liveRun(experimentID: mine.id), b = try reference.liveRun(experimentID: theirs.id)
            #expect((a == nil) == (b == nil), "o\(k)")
            if let a, let b {
                #expect(try store.days(runID: a.id) == reference.days(runID: b.id), "o\(k)")
                #expect(try store.summary(of: a, world: mine.world!).picks == reference.summary(of: b, world: theirs.world!).picks)
            }
        }
        #expect(try store.integrityCheck() == "ok")
    }

    @Test("a background job that fails: stored failed with its message, listed by jobs, announced once")
    func failedBackgroundJob() throws {
        let directory = temporaryDirectory()
        let store = try Store(directory: directory)
        defer { store.close() }
        let session = Session(workspace: Workspace(store: store, threads: 2), workingDirectory: directory)
        let interpreter = Interpreter(session: session)
        func errors(_ line: String) -> [String] { interpreter.run(line).compactMap(\.error) }
        // A job stopped after its first days, whose stored checkpoint is then damaged.
        #expect(errors("new e rng default seed 2; world features 3 actions 5").isEmpty)
        let calls = Log()
        let stopped = interpreter.run("runs 3 days 8", shouldStop: {
            calls.append("", [])
            return calls.all.count > 4
        })
        #expect(stopped.last?.reply.plainText.contains("stopped after") == true, "\(stopped)")
        let raw = try Connection(path: store.path)
        try raw.execute("UPDATE checkpoints SET coefficients = x'00'")
        raw.close()
        #expect(errors("resume 1 &").isEmpty)
        session.workspace.registry.waitForBackground()
        let job = try #require(try store.job(id: 1))
        #expect(job.state == .failed && job.message?.contains("holds inconsistent data (checkpoint of run") == true, "\(job)")
        let listing = interpreter.run("jobs")
        #expect(listing.first?.reply.plainText.contains("failed: \(job.message!)") == true)
        let notices = session.notices.take()
        #expect(notices.count == 1 && notices[0].hasPrefix("[job 1] failed: runs 3 days 8: "), "\(notices)")
        #expect(session.notices.take().isEmpty)
        // Nothing holds the experiment now: writes go ahead.
        #expect(errors("seed 4").isEmpty)
    }

    @Test("the real client prints a background job's end at its next prompt; a script shows it on stderr")
    func noticeThroughTheClient() throws {
        let directory = temporaryDirectory(), state = directory + "/state"
        defer { stopDaemon(state) }
        let run = try runProgram(try builtExecutable("bandit"), ["--state-dir", state, "-c",
                                 "new e rng default seed 1; world features 3 actions 4; runs 3 days 3 &; wait 1; settings"],
                                 directory: directory)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("job 1 started in the background") && run.stdout.contains("job 1 finished"))
        #expect(run.stderr.contains("[job 1] finished: runs 3 days 3"), "\(run.stderr)")
        #expect(!run.stdout.contains("[job 1]"))
    }
}
