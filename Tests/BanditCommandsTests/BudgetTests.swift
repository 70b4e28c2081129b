// The resource budget: estimates against measured peaks, refusals that change nothing, the notice of a large job.

import BanditCore
import BanditTestSupport
import Foundation
import Testing

@testable import BanditCommands
import BanditStore

@Suite("Budget")
struct BudgetTests {
    /// Plays `commands` (one per line) in `bandit --no-daemon` reading its standard input and returns
    /// its peak resident memory, read from /proc (VmHWM) once `done` appears on its output, while it
    /// waits for more input. (wait4's ru_maxrss would not do: a spawned child inherits the peak of
    /// the test process it was cloned from.)
    static func peakMemory(_ commands: [String], done: String, stateDirectory: String) throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try banditExecutable())
        process.arguments = ["--no-daemon", "--state-dir", stateDirectory]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { process.waitUntilExit() }
        input.fileHandleForWriting.write(Data((commands.joined(separator: "\n") + "\n").utf8))
        var seen = ""
        while !seen.contains(done) {
            let chunk = output.fileHandleForReading.availableData
            try #require(!chunk.isEmpty, "bandit ended before '\(done)': \(seen)")
            seen += String(decoding: chunk, as: UTF8.self)
        }
        let status = try String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)
        try input.fileHandleForWriting.close()
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
        let kilobytes = try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
        return kilobytes * 1024
    }

    @Test("the estimate bounds the measured peak memory, within a factor of three", .timeLimit(.minutes(2)), arguments: [
        // Each dominated by another buffer: XᵀX per post, the ensemble's coefficients, the bootstrap's log.
        ("world features 12 actions 20000; policy greedy; day", "greedy", 12, 20000, 100, 1),
        ("world features 12 actions 1000; policy ts 500; set decisions 10; day", "ts:500", 12, 1000, 10, 1),
        ("world features 5 actions 30; policy ts 30; set decisions 100000; step 2", "ts:30", 5, 30, 100_000, 2),
    ])
    func estimateBoundsPeak(commands: String, policy: String, features: Int, actions: Int, perDay: Int, days: Int) throws {
        let directory = temporaryDirectory()
        let measured = try Self.peakMemory(["new e"] + commands.split(separator: ";").map(String.init),
                                           done: "day \(days): mean viewing time", stateDirectory: directory)
        var rng = Xoshiro256(seed: 1)
        let world = try World.draw(features: features, actions: actions, using: &rng)
        let estimate = Footprint.live(world: world, policy: try Policy(label: policy), decisionsPerDay: perDay, days: days,
                                      logged: 0, kind: .default)
        print("\(commands): measured \(formatBytes(measured)), estimated \(formatBytes(estimate.memory))")
        #expect(measured <= estimate.memory)
        #expect(estimate.memory <= 3 * measured)
    }

    /// A session whose workspace has these limits.
    static func session(memory: Int, disk: Int? = nil) throws -> Session {
        let directory = temporaryDirectory()
        let workspace = Workspace(store: try Store(directory: directory), threads: 2, limits: ResourceLimits(memory: memory, disk: disk))
        return Session(workspace: workspace, workingDirectory: directory)
    }

    @Test("work over the budget is refused with its estimate and the limit, and nothing changes")
    func refusalsChangeNothing() throws {
        let session = try Self.session(memory: 200_000_000, disk: 50_000_000)
        defer { session.workspace.store.close() }
        session.must("new e; world features 12 actions 1000; day")
        let before = try session.fingerprint()
        // The ensemble: 10,000 × 12 × 1,000 doubles (960 MB), five more copies of it on the way to the store.
        var error = session.refused("policy ts 10000")
        #expect(error.contains("a day of the live run (ts:10000, 12 features, 1000 posts) needs about 5.9 GB of memory; the limit is 200 MB"), "\(error)")
        error = session.refused("compare greedy ts:3000 runs 2")
        #expect(error.contains("the job needs about"), "\(error)")
        #expect(error.contains("the limit is 200 MB (memory_limit in bandit.conf)"), "\(error)")
        // 100,000 runs of 14 days of 100 decisions: 140 million decisions (4.3 GB) and a checkpoint of
        // 12 × 1,000 doubles per run (9.6 GB).
        error = session.refused("runs 100000 &")
        #expect(error.contains("the job would write about 14 GB"), "\(error)")
        #expect(error.contains("the limit is 50 MB (disk_limit in bandit.conf)"), "\(error)")
        // A day of 10 million decisions held twice (the day and the commit queue), and read back on resumption.
        error = session.refused("set decisions 10000000")
        #expect(error.contains("a day of the live run (greedy, 12 features, 1000 posts) needs about 1.0 GB of memory"), "\(error)")
        #expect(try session.fingerprint() == before)
        #expect(session.workspace.registry.running.isEmpty)
    }

    @Test("a value beyond SQLite's length limit is refused whatever the memory limit")
    func checkpointTooLarge() throws {
        let session = try Self.session(memory: .max)
        defer { session.workspace.store.close() }
        session.must("new e; world features 63 actions 1000")
        let before = try session.fingerprint()
        let error = session.refused("policy ts 10000")
        #expect(error.contains("would store checkpoints of 5.0 GB each, more than the 1.0 GB SQLite keeps in one value"), "\(error)")
        #expect(try session.fingerprint() == before)
    }

    @Test("running jobs count against the memory limit of the next one")
    func runningJobsCount() throws {
        let session = try Self.session(memory: 600_000_000)
        defer { session.workspace.store.close() }
        session.must("new a; world features 12 actions 1000; new b; world features 12 actions 1000")
        // A long ts:300 job holds about 500 MB by its end; a short one (220 MB) does not fit beside it.
        session.must("use a; set decisions 10; compare ts:300 runs 1 days 100000 &")
        defer { _ = session.workspace.registry.stopAll() }
        let error = session.refused("use b; compare ts:300 runs 1 days 2")
        #expect(error.contains("with 1 other job running"), "\(error)")
    }

    @Test("a large job says what it takes as it starts")
    func largeJobNotice() throws {
        let session = try Self.session(memory: 1_000_000_000)
        defer { session.workspace.store.close() }
        session.must("new e; world features 12 actions 1000; set decisions 10")
        let notes = Notes()
        let outcomes = Interpreter(session: session).run("compare ts:500 runs 1 days 1", progress: { notes.add($0.note) })
        #expect(outcomes.allSatisfy { $0.error == nil })
        let note = try #require(notes.all.first)
        #expect(note.hasPrefix("job 1 needs about 3"), "\(note)")
        #expect(note.contains("of memory (limit 1.0 GB)"), "\(note)")
        // A small job says nothing.
        let quiet = Notes()
        _ = Interpreter(session: session).run("compare greedy runs 1 days 1", progress: { quiet.add($0.note) })
        #expect(quiet.all.isEmpty)
    }

    @Test("sizes in messages")
    func sizes() {
        #expect(formatBytes(999) == "999 bytes")
        #expect(formatBytes(5_040_000_032) == "5.0 GB")
        #expect(formatBytes(44_000_000_000) == "44 GB")
        #expect(formatBytes(Int.max) == "9.2 EB")
    }
}

/// Notes seen by a progress sink (called from job threads).
final class Notes: @unchecked Sendable {
    private let lock = NSLock()
    private var notes: [String] = []
    func add(_ note: String?) { if let note { lock.withLock { notes.append(note) } } }
    var all: [String] { lock.withLock { notes } }
}
