// stats: the live run and the stored results.

import BanditCore
import BanditStore

enum StatsCommand {
    static let command = Command(
        "stats", flags: [.needsExperiment],
        summary: "the live run and the stored results",
        details: """
            Shows the live run (days, decisions, mean viewing time and regret per day, picks per post; \
            a long run shows its last 20 days and its older ones in at most 20 bins, and 'export days' \
            writes them all) and, per stored result, the mean ± standard error per day and the asymptote (the mean over \
            days 5..D).
            """, handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let experiment = try call.session.currentExperiment()
        let store = call.workspace.store
        var replies: [Reply] = []
        if let world = experiment.world, let record = try store.liveRun(experimentID: experiment.id),
           case let summary = try store.summary(of: record, world: world), summary.days > 0 {
            replies.append(.table(try liveRunTable(summary, store: store)))
            replies.append(.text(Self.picksLine(summary.picks)))
        } else if let log = try store.importedLog(experimentID: experiment.id) {
            replies.append(.text("imported logs: \(countDecisions(log.decisions)) over \(counted(log.days, "day")) from \(log.file), "
                                 + "\(log.features) features (the constant included), \(counted(log.actions, "post"))"))
        } else {
            replies.append(.text("live run: none yet (policy \(experiment.policy.label))"))
        }
        let results = try store.results(experimentID: experiment.id)
        if results.isEmpty {
            replies.append(.text("stored results: none yet ('runs' or 'compare' makes some)"))
        } else {
            replies.append(.table(Reports.resultsTable(results.map(\.curve), oracle: experiment.world?.oracle().best)))
            if results.count > 1 { replies.append(.table(Reports.finalDayDifferences(results.map(\.curve)))) }
        }
        return .sequence(replies)
    }

    /// Days listed one by one in `stats`; a longer live run shows its older days in bins.
    static let recentDays = 20
    /// Bins a long live run's older days are summarised in, at most.
    static let dayBins = 20

    /// The live run's days: all of them when few, else its older days in at most `dayBins` bins
    /// and its last `recentDays` days (every day is in `export days`).
    static func liveRunTable(_ summary: RunSummary, store: Store) throws -> Table {
        let id = summary.record.id
        var rows: [[Cell]] = []
        var footer: [String] = []
        var firstListed = 1
        if summary.days > recentDays + dayBins {
            let older = summary.days - recentDays
            let width = (older + dayBins - 1) / dayBins
            for bin in try store.dayBins(runID: id, through: older, width: width) {
                rows.append(["\(bin.firstDay)–\(bin.lastDay)", .integer(bin.decisions), .number(bin.meanViewingTime), .number(bin.regret)])
            }
            firstListed = older + 1
            footer.append("days \(1)–\(older) in bins of \(width) (per decision); 'export days FILE' writes every day")
        }
        for day in try store.days(runID: id, from: firstListed) {
            rows.append([.integer(day.day), .integer(day.decisions), .number(day.meanViewingTime), .number(day.regret)])
        }
        return Table(title: "live run: \(summary.record.policy.label), \(counted(summary.days, "day")), \(counted(summary.decisions, "decision")), \(counted(summary.fits, "fit"))",
                     headers: ["day", "decisions", "mean viewing time", "regret"], rows: rows, footer: footer)
    }

    /// Posts shown one by one in the picks line; beyond, the most picked and a count of the rest.
    static let picksShown = 60

    /// `picks per post: 0:12 1:3 …`; with many posts, the most picked ones, then how many posts
    /// were picked in all and where the rest are (export decisions).
    static func picksLine(_ picks: [Int]) -> String {
        guard picks.count > picksShown else {
            return "picks per post: " + picks.enumerated().map { "\($0.offset):\($0.element)" }.joined(separator: " ")
        }
        let top = picks.enumerated().filter { $0.element > 0 }
            .sorted { $0.element > $1.element || ($0.element == $1.element && $0.offset < $1.offset) }.prefix(picksShown)
        let picked = picks.count { $0 > 0 }
        return "picks per post, the most picked of \(picks.count) (\(picked) picked at least once; "
            + "'export decisions FILE' has every decision): " + top.map { "\($0.offset):\($0.element)" }.joined(separator: " ")
    }
}

