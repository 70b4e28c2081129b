// The resource budget: work whose estimate does not fit is refused before it starts.

import BanditCore
import Foundation

/// What the work of one process may take (bandit.conf's `memory_limit` and `disk_limit`).
public struct ResourceLimits: Sendable, Equatable {
    /// The memory that the process with all its running jobs may hold.
    public var memory: Int
    /// The bytes that one job may add to the store; nil: half of the file system's free space, less
    /// what running jobs have still to write, measured when the job starts.
    public var disk: Int?

    public init(memory: Int, disk: Int? = nil) {
        self.memory = memory
        self.disk = disk
    }

    /// No limit but the file system's free space: for tests and tools that set none.
    public static let unlimited = ResourceLimits(memory: .max)
}

/// Checks a footprint against the limits, counting the jobs already running in the process.
struct Budget {
    let limits: ResourceLimits
    /// The store's free space now, and the largest value it stores (SQLite's length limit).
    let freeSpace: Int
    let largestValue: Int
    /// Estimates of the jobs running now.
    let running: [Footprint]

    /// Work above this share of a limit (or above 1 GB) says its estimate when it starts.
    static let noticeableShare = 0.25
    static let noticeableBytes = 1_000_000_000

    /// Refuses `footprint` with one sentence giving the estimate and the limit, or says nothing.
    func check(_ footprint: Footprint, work: String, path: String) throws {
        if footprint.largestValue > largestValue {
            throw CommandError.failed("""
                \(work) would store checkpoints of \(formatBytes(footprint.largestValue)) each, more than the \
                \(formatBytes(largestValue)) SQLite keeps in one value: use fewer replicates, posts or features
                """)
        }
        let memory = memoryAllowed
        if footprint.memory > memory {
            let others = running.isEmpty ? "" : " with \(running.count) other job\(running.count == 1 ? "" : "s") running"
            throw CommandError.failed("""
                \(work) needs about \(formatBytes(footprint.memory)) of memory; the limit is \(formatBytes(memory))\(others) \
                (memory_limit in bandit.conf)
                """)
        }
        let disk = diskAllowed
        if footprint.disk > disk.bytes {
            throw CommandError.failed("""
                \(work) would write about \(formatBytes(footprint.disk)) to \(path); the limit is \(formatBytes(disk.bytes)) \
                (\(disk.source))
                """)
        }
    }

    /// The sentence a large job starts with, or nil for ordinary work.
    func notice(_ footprint: Footprint, work: String) -> String? {
        let memory = memoryAllowed, disk = diskAllowed.bytes
        func large(_ bytes: Int, _ limit: Int) -> Bool {
            bytes >= Self.noticeableBytes || Double(bytes) >= Self.noticeableShare * Double(limit)
        }
        guard large(footprint.memory, memory) || large(footprint.disk, disk) else { return nil }
        return "\(work) needs about \(formatBytes(footprint.memory)) of memory (limit \(formatBytes(memory))) "
            + "and writes about \(formatBytes(footprint.disk)) (limit \(formatBytes(disk)))"
    }

    /// The memory left for one more job: the limit less what running jobs hold beyond the process itself.
    private var memoryAllowed: Int {
        let held = running.reduce(0) { $0 &+ max(0, $1.memory - Footprint.process) }
        return max(0, limits.memory - min(held, limits.memory))
    }

    /// The bytes one more job may write, and where that limit comes from.
    private var diskAllowed: (bytes: Int, source: String) {
        let pending = running.reduce(0) { $0 &+ $1.disk }
        let free = max(0, freeSpace - min(pending, freeSpace))
        if let limit = limits.disk, limit <= free { return (limit, "disk_limit in bandit.conf") }
        if limits.disk != nil { return (free, "the free space") }
        return (free / 2, "half the free space; disk_limit in bandit.conf sets another")
    }
}

/// Decisions for people: "1 decision", "300000 decisions", "1.2 million decisions".
func countDecisions(_ count: Int) -> String {
    if count == 1 { return "1 decision" }
    if count >= 1_000_000_000 { return String(format: "%.1f billion decisions", Double(count) / 1e9) }
    if count >= 1_000_000 { return String(format: "%.1f million decisions", Double(count) / 1e6) }
    return "\(count) decisions"
}

/// Bytes for people: 950 KB, 5.0 GB (powers of 1000, as disks are sold).
public func formatBytes(_ bytes: Int) -> String {
    let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"]
    var value = Double(bytes), unit = 0
    while value >= 1000 && unit < units.count - 1 {
        value /= 1000
        unit += 1
    }
    if unit == 0 { return "\(bytes) bytes" }
    return String(format: value < 10 ? "%.1f" : "%.0f", value) + " " + units[unit]
}
