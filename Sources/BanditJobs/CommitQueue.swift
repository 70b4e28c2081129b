// A job's writer: days are committed on a thread of their own while the runs compute the next ones.

import BanditCore
import BanditStore
import Foundation

/// Commits a job's days in the order they are handed over, each in its own transaction as
/// `Store.commitDay` makes it, on a dedicated thread: a run computes its next day while its last one is
/// being written, and runs on other threads never wait for one another's commits.
///
/// At most `capacity` days wait; a run handing over one more waits for room. A day waiting here when
/// the process dies is simply played again on resumption (the run continues from its last committed
/// checkpoint), exactly as a day in progress would be.
final class CommitQueue: @unchecked Sendable {
    private enum Work {
        case day(run: RunRecord, summary: DaySummary, decisions: [Decision], checkpoint: RunCheckpoint, picks: [Int]?)
        case endRun(RunRecord)
    }

    private let store: Store
    private let world: World
    private let jobID: Int64
    private let daysTotal: Int
    private let progress: (@Sendable (Int, Int) -> Void)?
    private let capacity: Int
    /// Its lock owns every variable below: run threads and the writer thread meet only there.
    private let condition = NSCondition()
    private var pending: [Work] = []
    /// Threads waiting, so that each side is woken only when the other may go on: the writer when
    /// work arrives, runs when the queue has drained to half (a wake-up per day would cost a pair of
    /// context switches per day).
    private var writerWaiting = false
    private var runsWaiting = 0
    private var closed = false
    private var finished = false
    private var failure: (any Error)?
    private var daysDone: Int

    init(store: Store, world: World, jobID: Int64, daysDone: Int, daysTotal: Int,
         progress: (@Sendable (Int, Int) -> Void)?, capacity: Int) {
        self.store = store
        self.world = world
        self.jobID = jobID
        self.daysDone = daysDone
        self.daysTotal = daysTotal
        self.progress = progress
        self.capacity = max(1, capacity)
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

    private func enqueue(_ work: Work) throws {
        condition.lock()
        defer { condition.unlock() }
        runsWaiting += 1
        while pending.count >= capacity && failure == nil { condition.wait() }
        runsWaiting -= 1
        if let failure { throw failure }
        pending.append(work)
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
            let work = pending.removeFirst()
            if case .day = work { daysDone += 1 }
            let done = daysDone
            if runsWaiting > 0 && pending.count <= capacity / 2 { condition.broadcast() }
            condition.unlock()
            do {
                switch work {
                case .day(let run, let summary, let decisions, let checkpoint, let picks):
                    try store.commitDay(run: run, summary: summary, decisions: decisions, checkpoint: checkpoint,
                                        world: world, picks: picks, jobDaysDone: done, jobID: jobID)
                    progress?(done, daysTotal)
                case .endRun(let run):
                    try store.endRun(run)
                }
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
