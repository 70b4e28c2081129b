// The notebook's experiment: R independent runs of D days, summarised per day as mean ± standard error.

import Dispatch
import Foundation

/// The protocol: its sizes, the uniform warm-up days, and λ of the ridge regressions.
public struct Schedule: Sendable, Equatable {
    public var decisionsPerDay: Int
    public var days: Int
    public var runs: Int
    /// The first `warmup` days of every run are played uniformly at random, whatever the policy.
    public var warmup: Int
    /// λ of LinUCB's, LinTS's and the online bootstrap's ridge regressions (> 0).
    public var ridge: Double

    public init(decisionsPerDay: Int = 100, days: Int = 14, runs: Int = 10, warmup: Int = 0, ridge: Double = 1) {
        self.decisionsPerDay = decisionsPerDay
        self.days = days
        self.runs = runs
        self.warmup = warmup
        self.ridge = ridge
    }
}

/// A policy's learning curve: per day, the mean over runs of the day's average viewing time and its
/// standard error, computed with numpy's rounding (`mean(axis=0)`, `std(axis=0) / sqrt(R)`).
public struct Curve: Sendable, Equatable {
    public let label: String
    public let runs: Int
    public let mean: [Double]
    public let standardError: [Double]

    public init(label: String, runs: Int, mean: [Double], standardError: [Double]) {
        self.label = label
        self.runs = runs
        self.mean = mean
        self.standardError = standardError
    }

    /// Summarises R runs' daily averages (`dailyMeans[r][day]`).
    public init(label: String, dailyMeans: [[Double]]) {
        precondition(!dailyMeans.isEmpty && dailyMeans.allSatisfy { $0.count == dailyMeans[0].count })
        let r = dailyMeans.count, days = dailyMeans[0].count
        var mean = [Double](repeating: 0, count: days)
        var standardError = [Double](repeating: 0, count: days)
        let rootR = Double(r).squareRoot()
        for day in 0..<days {
            // numpy reduces along axis 0 row by row, in order.
            var sum = 0.0
            for run in 0..<r { sum += dailyMeans[run][day] }
            let m = sum / Double(r)
            var squares = 0.0
            for run in 0..<r {
                let deviation = dailyMeans[run][day] - m
                squares += deviation * deviation
            }
            mean[day] = m
            standardError[day] = (squares / Double(r)).squareRoot() / rootR
        }
        self.init(label: label, runs: r, mean: mean, standardError: standardError)
    }

    /// Days are numbered from 1; day 5 onwards is where the notebook reads the asymptote.
    public static let asymptoteFirstDay = 5

    /// The mean over days 5…D (the notebook's `mean[4:].mean()`), or nil with fewer than 5 days.
    public var asymptote: Double? {
        guard mean.count >= Self.asymptoteFirstDay else { return nil }
        return numpyMean(Array(mean[(Self.asymptoteFirstDay - 1)...]))
    }
}

public enum Experiment {
    /// All cores of this machine.
    public static var availableThreads: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// The notebook's `run_sequences`: `schedule.runs` runs of `schedule.days` days with `policy`.
    ///
    /// With the `numpy` generator the runs share one stream, one after another, as in the notebook.
    /// With `default` one word is drawn from the experiment's generator as a key, run r uses the
    /// stream (key, r), and runs execute on up to `threads` threads; the curve does not depend on it.
    public static func runSequences(
        world: World, policy: Policy, schedule: Schedule, generator: inout Generator,
        oracleValue: Double, threads: Int = availableThreads
    ) -> Curve {
        compare(world: world, policies: [policy], schedule: schedule, generator: &generator,
                oracleValue: oracleValue, threads: threads)[0]
    }

    /// Several policies on one world, exactly as a `compare` job plays them (without a store).
    public static func compare(
        world: World, policies: [Policy], schedule: Schedule, generator: inout Generator,
        oracleValue: Double, threads: Int = availableThreads
    ) -> [Curve] {
        precondition(!policies.isEmpty && schedule.runs >= 1 && schedule.days >= 1 && schedule.decisionsPerDay >= 1)
        let daily = scheduleRuns(policies: policies.count, runs: schedule.runs, generator: &generator, threads: threads) {
            (slot, start) throws(Never) in
            var run = Run(world: world, policy: policies[slot.policy], generator: start, oracleValue: oracleValue,
                          ridge: schedule.ridge, warmup: schedule.warmup)
            let means = play(&run, schedule: schedule)
            return (means, run.generator)
        }
        // Nothing here stops early or throws.
        return policies.indices.map { Curve(label: policies[$0].label, dailyMeans: daily![$0]) }
    }

    /// One run of a compare: which policy, and its index among that policy's runs.
    public struct RunSlot: Sendable, Equatable {
        public let policy: Int
        public let ordinal: Int
    }

    /// The scheduling rule of every compare, in memory or stored: which generator each run starts
    /// from, and which runs may execute side by side. `play` plays one run from `start` and returns
    /// its outcome and the generator as the run left it, or nil when it stopped early.
    ///
    /// With `numpy`, every policy starts from `generator` and plays its runs one after another on
    /// one stream (the notebook reseeds before each experiment): policies execute in parallel and
    /// `generator` ends where the last policy's stream ended. With `default`, one key is drawn and
    /// run r of every policy uses the stream (key, r): all policies × runs execute in parallel and
    /// `generator` ends just after the key. Outcomes never depend on `threads`.
    ///
    /// Returns outcomes by policy then run, or nil when a run stopped early; the first error thrown
    /// by `play` stops the runs not yet started and is rethrown.
    ///
    /// `ordinals` restricts the runs to a slice of each policy's (a shard of a sweep, see `SweepPlan`):
    /// run r still uses the stream (key, r), so it comes out as it would in the whole job. Only with
    /// `default`, whose runs do not depend on each other; outcomes are then by policy, then by
    /// ordinal within the slice.
    public static func scheduleRuns<Outcome: Sendable, Failure: Error>(
        policies: Int, runs: Int, ordinals: Range<Int>? = nil, generator: inout Generator, threads: Int,
        play: @Sendable (_ slot: RunSlot, _ start: Generator) throws(Failure) -> (Outcome, end: Generator)?
    ) throws(Failure) -> [[Outcome]]? {
        let failure = FirstError<Failure>()
        let slice = ordinals ?? 0..<runs
        precondition(slice.lowerBound >= 0 && slice.upperBound <= runs)
        switch generator {
        case .numpy:
            precondition(ordinals == nil, "a slice of a job's runs needs independent streams (the default generator)")
            let start = generator
            let played = parallelRuns(count: policies, threads: threads) { p -> (outcomes: [Outcome], end: Generator)? in
                var stream = start, outcomes = [Outcome]()
                for ordinal in 0..<runs {
                    guard !failure.isSet else { return nil }
                    do throws(Failure) {
                        guard let (outcome, end) = try play(RunSlot(policy: p, ordinal: ordinal), stream) else { return nil }
                        outcomes.append(outcome)
                        stream = end
                    } catch {
                        failure.record(error)
                        return nil
                    }
                }
                return (outcomes, stream)
            }
            if let error = failure.error { throw error }
            guard played.allSatisfy({ $0 != nil }) else { return nil }
            generator = played[played.count - 1]!.end
            return played.map { $0!.outcomes }
        case .fast(var master):
            let key = master.next()
            let count = slice.count
            let played = parallelRuns(count: policies * count, threads: threads) { index -> Outcome? in
                guard !failure.isSet else { return nil }
                let ordinal = slice.lowerBound + index % count
                let stream = Generator.fast(Xoshiro256(key: key, stream: UInt64(ordinal)))
                do throws(Failure) {
                    return try play(RunSlot(policy: index / count, ordinal: ordinal), stream)?.0
                } catch {
                    failure.record(error)
                    return nil
                }
            }
            if let error = failure.error { throw error }
            guard played.allSatisfy({ $0 != nil }) else { return nil }
            generator = .fast(master)
            return (0..<policies).map { p in played[(p * count)..<((p + 1) * count)].map { $0! } }
        }
    }

    /// D × (day, fit): the notebook's `run_experiment_sequence` after its reset.
    public static func play(_ run: inout Run, schedule: Schedule) -> [Double] {
        var means = [Double]()
        means.reserveCapacity(schedule.days)
        for _ in 0..<schedule.days {
            means.append(run.playDay(decisions: schedule.decisionsPerDay).meanViewingTime)
            run.fit()
        }
        return means
    }

    /// Runs `body` for 0..<count on up to `threads` workers; results in index order.
    static func parallelRuns<Value>(count: Int, threads: Int, _ body: @Sendable (Int) -> Value) -> [Value] {
        let slots = Slots<Value>(count: count)
        let workers = max(1, min(threads, count))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: worker, to: count, by: workers) { slots.store(body(index), at: index) }
        }
        return slots.values()
    }
}

/// The first error of parallel work; later ones are dropped, since the first already stops the work.
private final class FirstError<Failure: Error>: @unchecked Sendable {
    private let lock = NSLock()
    /// Owned by `lock`: written by any worker, read by all.
    private var first: Failure?

    func record(_ error: Failure) { lock.withLock { if first == nil { first = error } } }
    var error: Failure? { lock.withLock { first } }
    var isSet: Bool { error != nil }
}

/// Result slots written by worker threads, each index by exactly one worker (so no two threads
/// touch the same memory), read once all workers are done.
private final class Slots<Value>: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<Value?>
    private let count: Int

    init(count: Int) {
        self.count = count
        storage = .allocate(capacity: count)
        storage.initialize(repeating: nil, count: count)
    }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }

    func store(_ value: Value, at index: Int) { storage[index] = value }
    func values() -> [Value] { (0..<count).map { storage[$0]! } }
}
