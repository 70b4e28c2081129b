// check: the database's integrity, checked page by page on demand.

import BanditStore
import Foundation

enum CheckCommand {
    static let command = Command(
        "check", summary: "check the database file for damage",
        details: """
            Runs SQLite's PRAGMA integrity_check over the whole database (every page, every index) on a \
            read connection: jobs and other clients go on meanwhile. Answers ok with the file's size and \
            the time taken, or fails listing the first problems found and how to recover what the file \
            still holds. Once a check (or SQLite itself) finds the file damaged, the store writes \
            nothing more to it. It reads every page: seconds per GB (README, "State on disk").
            """, handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let store = call.workspace.store
        let clock = ContinuousClock()
        let started = clock.now
        let report: IntegrityReport
        do {
            report = try store.checkIntegrity()
        } catch .damaged(let path, let detail) {
            // SQLite could not even walk the file (a damaged schema page): that is the check's finding.
            throw StoreError.failedCheck(path: path, problems: [detail], more: false)
        }
        let took = clock.now - started
        guard report.isSound else { throw StoreError.failedCheck(path: store.path, problems: report.problems, more: report.more) }
        let answer = "ok: \(store.path), \(formatBytes(report.bytes)) (\(report.pages) pages), checked in \(formatDuration(took))"
        // Damage found before and not now (the page was written back): writes stay stopped all the same.
        guard let damage = store.damageDetail else { return .text(answer) }
        return .text(answer + "; but damage was found before (\(damage)): the store writes nothing more until it is opened again")
    }

    /// Bytes in decimal units, three significant digits: `184 KB`, `1.09 GB`.
    static func formatBytes(_ bytes: Int) -> String {
        let units = ["bytes", "KB", "MB", "GB", "TB"]
        var value = Double(bytes), unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        if unit == 0 { return "\(bytes) bytes" }
        return String(format: value < 10 ? "%.2f" : value < 100 ? "%.1f" : "%.0f", value) + " " + units[unit]
    }

    /// A duration as a person reads it: `12 ms`, `7.2 s`.
    static func formatDuration(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds < 1 ? String(format: "%.0f ms", seconds * 1000) : String(format: "%.1f s", seconds)
    }
}
