// The promise that makes long experiments safe: kill -9 at any moment, start again, same numbers.

import BanditCore
@testable import BanditStore
import Foundation
import BanditTestSupport
import Testing

@Suite("Crash and resume")
struct CrashTests {
    /// SIGKILLs the real program at 25 reproducible random points of a long job, restarting it each
    /// time until it finishes; the stored curves must equal an uninterrupted run's, bit for bit.
    ///
    /// The points are days of the job (read from the database as it runs) plus a random delay of up
    /// to 8 ms, so kills land before, inside and after a day's transaction; one kill in five instead
    /// lands within 25 ms of the start, while the job is being reopened and resumed.
    @Test("SIGKILL at 25 points of a long job, restart until done: identical curves", arguments: [
        (GeneratorKind.numpy, "ts:30", ""), (GeneratorKind.default, "eps:0.1,ts:30", ""),
        (GeneratorKind.default, "linucb:1,lints:0.1,ots:30", "set warmup 1 ridge 0.5; "),
        // Finished runs drop their decisions in the transaction that ends them; runs in progress keep theirs.
        (GeneratorKind.default, "eps:0.1,ts:30", "set keep summaries; "),
    ])
    func killAndResume(kind: GeneratorKind, policies: String, settings: String) throws {
        let bandit = try banditExecutable()
        let runs = 24, days = 14
        let compare = "compare \(policies.replacing(",", with: " ")) runs \(runs) days \(days)"
        let start = "new batch rng \(kind.rawValue) seed 17; \(settings)world; \(compare)"
        let reference = temporaryDirectory(), killed = temporaryDirectory()
        #expect(try runProcess(bandit, ["--no-daemon", "--state-dir", reference, "-c", start]).status == 0)
        /// What to run next in the killed directory, from what it holds: start, or resume.
        func script() -> String {
            switch progress(killed) {
            case .nothing: start
            case .experiment: "use batch; \(settings)world; \(compare)"
            case .world: "use batch; \(compare)"
            case .job: "use batch; resume"
            case .finished: "use batch; jobs"
            }
        }

        let totalDays = runs * days * policies.split(separator: ",").count
        var random = Xoshiro256(seed: kind == .numpy ? 20261129 : 20261130)
        let targets = (0..<25).map { _ in 1 + random.nextInt(below: totalDays - 2) }.sorted()
        var kills = 0, killedAtDays: [Int] = []
        var finished = false
        for attempt in 0..<200 where !finished {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: bandit)
            process.arguments = ["--no-daemon", "--state-dir", killed, "-c", script()]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            if kills < targets.count {
                if attempt % 5 == 4 {
                    usleep(UInt32(random.nextInt(below: 25_000)))
                } else {
                    while process.isRunning, daysDone(killed) < targets[kills] { usleep(500) }
                    usleep(UInt32(random.nextInt(below: 8_000)))
                }
            }
            if kills < targets.count, process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                #expect(process.terminationReason == .uncaughtSignal)
                killedAtDays.append(daysDone(killed))
                kills += 1
            } else {
                process.waitUntilExit()
                #expect(process.terminationStatus == 0)
                finished = process.terminationStatus == 0
            }
        }
        #expect(finished)
        #expect(kills >= 20, "only \(kills) kills landed before the job finished")
        // Kills land at many points spread over the job (how many distinct ones depends on the machine's load).
        #expect(Set(killedAtDays).count >= 10, "kills at days \(killedAtDays)")
        #expect((killedAtDays.min() ?? totalDays) < totalDays / 4 && (killedAtDays.max() ?? 0) > totalDays / 2,
                "kills at days \(killedAtDays) of \(totalDays)")

        let expected = try Store(directory: reference), actual = try Store(directory: killed)
        defer {
            expected.close()
            actual.close()
        }
        let a = try #require(try expected.experiment(named: "batch")), b = try #require(try actual.experiment(named: "batch"))
        let want = try expected.results(experimentID: a.id), got = try actual.results(experimentID: b.id)
        #expect(want.count == policies.split(separator: ",").count)
        #expect(got.map(\.curve.label) == want.map(\.curve.label))
        for (x, y) in zip(got, want) {
            #expect(x.curve.mean.map(\.bitPattern) == y.curve.mean.map(\.bitPattern), "\(x.curve.label) mean")
            #expect(x.curve.standardError.map(\.bitPattern) == y.curve.standardError.map(\.bitPattern), "\(x.curve.label) SE")
        }
        #expect(b.generator == a.generator)
        // Whole days only: every decision once, every day once.
        let keptDecisions = settings.contains("keep summaries") ? 0 : totalDays * 100
        #expect(try actual.sql("SELECT count(*) FROM decisions") == [["\(keptDecisions)"]])
        #expect(try actual.sql("SELECT count(*) FROM days") == [["\(totalDays)"]])
        let job = try #require(try actual.jobs().first)
        #expect(job.state == .finished && job.resumed > 0)
        #expect(try actual.integrityCheck() == "ok")
    }
}

/// Days the job of a state directory has committed, read as another process would (0 if none yet).
func daysDone(_ directory: String) -> Int {
    guard let connection = try? Connection(path: directory + "/" + Store.databaseName, readOnly: true) else { return 0 }
    defer { connection.close() }
    return Int((try? connection.integer("SELECT coalesce(max(days_done), 0) FROM jobs")) ?? 0)
}

/// How far a script got in a state directory.
enum ScriptProgress { case nothing, experiment, world, job, finished }

func progress(_ directory: String) -> ScriptProgress {
    guard let connection = try? Connection(path: directory + "/" + Store.databaseName, readOnly: true) else { return .nothing }
    defer { connection.close() }
    guard (try? connection.integer("SELECT count(*) FROM experiments")) ?? 0 > 0 else { return .nothing }
    if (try? connection.integer("SELECT count(*) FROM jobs WHERE state = 'finished'")) ?? 0 > 0 { return .finished }
    if (try? connection.integer("SELECT count(*) FROM jobs")) ?? 0 > 0 { return .job }
    return (try? connection.integer("SELECT count(*) FROM experiments WHERE weights IS NOT NULL")) ?? 0 > 0 ? .world : .experiment
}
