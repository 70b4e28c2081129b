// The jobs executing now in this process: to list them, wait for them, cancel them, stop them all.

import BanditCore
import BanditJobs
import Foundation

/// Jobs running in this process (in the foreground of a client or in the background), by job id:
/// at most one per experiment. A cancelled job stops at its next day boundary with every completed
/// day kept.
public final class JobRegistry: @unchecked Sendable {
    public struct Running: Sendable, Equatable {
        public var jobID: Int64
        public var experimentID: Int64
        /// The experiment's name, for sentences.
        public var experiment: String
        public var command: String
        public var done: Int
        public var total: Int
        public var background: Bool
        /// What it was estimated to take when it started: the budget of the next job counts it.
        public var footprint: Footprint

        /// The refusal of a write to the experiment this job plays.
        var conflict: CommandError {
            .failed("job \(jobID) is playing \(experiment): 'wait \(jobID)' or 'cancel \(jobID)' first")
        }
    }

    /// Its lock owns every variable below (taken by job threads, clients and the daemon alike).
    private let condition = NSCondition()
    private var entries: [Int64: Running] = [:]
    private var cancelled: Set<Int64> = []
    private var backgroundTasks = 0
    private var stopping = false

    public init() {}

    /// Registers a job about to play; refused when it, or another job of its experiment, runs.
    func begin(jobID: Int64, experimentID: Int64, experiment: String, command: String, background: Bool,
               footprint: Footprint) throws {
        try condition.withLock {
            if let other = entries.values.first(where: { $0.jobID == jobID || $0.experimentID == experimentID }) {
                throw other.conflict
            }
            entries[jobID] = Running(jobID: jobID, experimentID: experimentID, experiment: experiment, command: command,
                                     done: 0, total: 0, background: background, footprint: footprint)
        }
    }

    /// The job playing an experiment now, if any.
    public func playing(experimentID: Int64) -> Running? {
        condition.withLock { entries.values.first { $0.experimentID == experimentID } }
    }

    func update(jobID: Int64, done: Int, total: Int) {
        condition.withLock {
            entries[jobID]?.done = done
            entries[jobID]?.total = total
            condition.broadcast()
        }
    }

    func end(jobID: Int64) {
        condition.withLock {
            entries[jobID] = nil
            cancelled.remove(jobID)
            condition.broadcast()
        }
    }

    /// Whether a job should stop at its next day boundary, and why: the process stops, or a `cancel`.
    func stopReason(jobID: Int64) -> JobStop? {
        condition.withLock { stopping ? .interrupted : cancelled.contains(jobID) ? .cancelled : nil }
    }

    /// Asks a running job to stop at its next day boundary; false when it is not running here.
    public func cancel(jobID: Int64) -> Bool {
        condition.withLock {
            guard entries[jobID] != nil else { return false }
            cancelled.insert(jobID)
            return true
        }
    }

    public var running: [Running] { condition.withLock { entries.values.sorted { $0.jobID < $1.jobID } } }

    public func isRunning(_ jobID: Int64) -> Bool { condition.withLock { entries[jobID] != nil } }

    /// No job runs and no background task is being set up or wound down (a daemon may leave).
    public var isIdle: Bool { condition.withLock { entries.isEmpty && backgroundTasks == 0 } }

    /// Blocks until the job ends (or `shouldStop`), reporting its progress as it changes.
    func wait(jobID: Int64, shouldStop: () -> Bool, progress: ((Running) -> Void)?) {
        condition.withLock {
            var last: Running?
            while let entry = entries[jobID], !shouldStop() {
                if entry != last {
                    progress?(entry)
                    last = entry
                }
                _ = condition.wait(until: Date().addingTimeInterval(0.2))
            }
        }
    }

    /// Runs `body` on a thread of its own, counted until it returns.
    func startBackground(_ body: @escaping @Sendable () -> Void) {
        condition.withLock { backgroundTasks += 1 }
        let thread = Thread { [self] in
            body()
            condition.withLock {
                backgroundTasks -= 1
                condition.broadcast()
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Stops every job at its next day boundary and waits (up to `timeout` seconds) for all to end.
    @discardableResult
    public func stopAll(timeout: TimeInterval = 60) -> Bool {
        condition.withLock {
            stopping = true
            condition.broadcast()
            let deadline = Date().addingTimeInterval(timeout)
            while !(entries.isEmpty && backgroundTasks == 0) {
                if !condition.wait(until: deadline) { return false }
            }
            return true
        }
    }

    /// Waits for background tasks to finish (for a one-shot process leaving).
    public func waitForBackground() {
        condition.withLock {
            while backgroundTasks > 0 { condition.wait() }
        }
    }
}
