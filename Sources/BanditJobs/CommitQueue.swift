// A job's writer: days are committed on a thread of their own while the runs compute the next ones.

import BanditCore
import BanditStore
import Foundation

/// Commits a job's days in the order they are handed over, on a dedicated thread: a run computes its
/// next day while its last one is being written, and runs on other threads never wait for one
/// another's commits.
///
/// Group commit: the writer takes every day waiting when it is free, at most `batchLimit`, and commits
/// them in one transaction (`Store.commit`); days that arrive while it writes go into the next one.
/// Nothing waits for a batch to fill, so a lone day is committed as soon as the writer is free.
///
/// At most `capacity` days wait; a run handing over one more waits for room. A day waiting here when
/// the process dies is simply played again on resumption (the run continues from its last committed
/// checkpoint), exactly as a day in progress would be.
final class CommitQueue: @unchecked Sendable {
    private let store: Store
    private let world: World
    private let jobID: Int64
    private let daysTotal: Int
    private let keeping: DecisionKeeping
    private let progress: (@Sendable (Int, Int) -> Void)?
    private let capacity: Int
    private let batchLimit: Int
    /// Its lock owns every variable below: run threads and the writer thread meet only there.
    private let condition = NSCondition()
    private var pending: [CommitWork] = []
    /// Days in `pending` (the ends of runs it also holds are not counted against the capacity).
    private var pendingDays = 0
    /// Threads waiting, so that each side is woken only when the other may go on: the writer when
    /// work arrives, runs when the queue has drained to half (a wake-up per day would cost a pair of
    /// context switches per day).
    private var writerWaiting = false
    private var runsWaiting = 0
    private var closed = false
    private var finished = false
    private var failure: (any Error)?
    private var daysDone: Int

    init(store: Store, world: World, jobID: Int64, daysDone: Int, daysTotal: Int, keeping: DecisionKeeping = .decisions,
         progress: (@Sendable (Int, Int) -> Void)?, capacity: Int, batchLimit: Int) {
        self.store = store
        self.world = world
        self.jobID = jobID
        self.daysDone = daysDone
        self.daysTotal = daysTotal
        self.keeping = keeping
        self.progress = progress
        self.capacity = max(1, capacity)
        self.batchLimit = max(1, batchLimit)
        let thread = Thread { [self] in drain() }
        thread.name = "bandit-commits"
        thread.start()
    }

    /// Hands over a day played by a run: its decisions and the checkpoint after its fit (with a live
    /// run's picks per post). Throws the writer's error, if it met one: the job cannot go on.
    func commitDay(run: RunRecord, summary: DaySummary, decisions: [Decision], checkpoint: RunCheckpoint,
                   picks: [Int]? = nil) throws {
        var checkpoint = checkpoint
        checkpoint.coefficients = checkpoint.coefficients.detached()
        try enqueue(.day(run: run, summary: summary, decisions: decisions.detached(), checkpoint: checkpoint,
                         picks: picks?.detached()))
    }

    /// Marks a run finished once all its days are committed.
    func endRun(_ run: RunRecord) throws {
        try enqueue(.endRun(run))
    }

    /// Waits until everything handed over is committed (the writer thread then ends); returns the
    /// writer's error, if it met one.
    func finish() -> (any Error)? {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        condition.broadcast()
        runsWaiting += 1
        while !finished { condition.wait() }
        runsWaiting -= 1
        return failure
    }

    private func enqueue(_ work: CommitWork) throws {
        condition.lock()
        defer { condition.unlock() }
        runsWaiting += 1
        while pendingDays >= capacity && failure == nil { condition.wait() }
        runsWaiting -= 1
        if let failure { throw failure }
        pending.append(work)
        if case .day = work { pendingDays += 1 }
        if writerWaiting { condition.broadcast() }
    }

    private func drain() {
        while true {
            condition.lock()
            writerWaiting = true
            while pending.isEmpty && !closed { condition.wait() }
            writerWaiting = false
            if pending.isEmpty {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            // The batch: everything waiting, up to `batchLimit` days (and the ends of runs among them).
            var taken = 0, days = 0
            while taken < pending.count {
                if case .day = pending[taken] {
                    if days == batchLimit { break }
                    days += 1
                }
                taken += 1
            }
            let batch = Array(pending.prefix(taken))
            pending.removeFirst(taken)
            pendingDays -= days
            daysDone += days
            let done = daysDone
            if runsWaiting > 0 && pendingDays <= capacity / 2 { condition.broadcast() }
            condition.unlock()
            do {
                try store.commit(batch, world: world, keeping: keeping, jobDaysDone: done, jobID: jobID)
                if days > 0 { progress?(done, daysTotal) }
            } catch {
                condition.lock()
                failure = error
                pending.removeAll()
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
        }
    }
}

extension Array {
    /// A copy in a buffer of its own. The writer thread gets these, not the run's arrays: a run
    /// reuses its buffers in place as soon as it holds the only reference, and Swift's uniqueness
    /// check does not order that reuse after the writer's reads in a way ThreadSanitizer can see.
    func detached() -> [Element] { withUnsafeBufferPointer { Array($0) } }
}
