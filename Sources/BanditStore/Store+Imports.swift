// Real logs: an experiment without a world whose one run holds the decisions of an imported CSV file.

import BanditCore

/// What `import logs` made of a file.
public struct ImportedLog: Sendable, Equatable {
    public var experimentID: Int64
    public var runID: Int64
    /// The file as its user named it.
    public var file: String
    public var features: Int
    public var actions: Int
    public var days: Int
    public var decisions: Int
}

extension Store {
    /// The label of an imported log's run in `runs.policy`: its logging policy is not one of bandit's.
    public static let loggedPolicyLabel = "logged"

    /// Creates experiment `name` (with `generator`, seeded with `seed`) holding `logs` as one run, in
    /// one transaction: a refused import leaves nothing behind.
    public func importLogs(
        _ logs: ImportedLogs, file: String, name: String, seed: UInt32, generator: Generator
    ) throws(StoreError) -> ImportedLog {
        try transaction { connection in
            if try statement("SELECT 1 FROM experiments WHERE name = ?").bind(1, name).rows({ _ in 1 }).count > 0 {
                throw StoreError.experimentExists(name)
            }
            try statement("INSERT INTO experiments (name, generator, seed, generator_state) VALUES (?, ?, ?, ?)")
                .bind([name, generator.kind.rawValue, Int64(seed), GeneratorBlob.encode(generator)]).run()
            let experimentID = connection.lastInsertRowID
            try statement("INSERT INTO runs (experiment_id, job_id, policy, ordinal, status, days_played) VALUES (?, NULL, ?, 0, 'finished', ?)")
                .bind([experimentID, Self.loggedPolicyLabel, logs.days.count]).run()
            let runID = connection.lastInsertRowID
            for (index, day) in logs.days.enumerated() where !day.isEmpty {
                try insertDecisions(runID: runID, day: index + 1, day)
            }
            let record = ImportedLog(experimentID: experimentID, runID: runID, file: file, features: logs.features, actions: logs.actions,
                                     days: logs.days.count, decisions: logs.decisions)
            try statement("""
                INSERT INTO imports (experiment_id, run_id, file, features, actions, days, decisions) VALUES (?, ?, ?, ?, ?, ?, ?)
                """).bind([experimentID, runID, file, record.features, record.actions, record.days, record.decisions]).run()
            return record
        }
    }

    /// The imported log an experiment holds, or nil for a simulated experiment.
    public func importedLog(experimentID: Int64) throws(StoreError) -> ImportedLog? {
        try reading { c in
            try c.statement("SELECT run_id, file, features, actions, days, decisions FROM imports WHERE experiment_id = ?")
                .bind(1, experimentID).rows { s in
                    ImportedLog(experimentID: experimentID, runID: s.int64("run_id"), file: s.string("file"), features: s.int("features"),
                                actions: s.int("actions"), days: s.int("days"), decisions: s.int("decisions"))
                }.first
        }
    }

    /// An imported log's decisions, day by day (a day with none is empty).
    public func loggedDecisions(_ log: ImportedLog) throws(StoreError) -> [[Decision]] {
        try decisions(runID: log.runID, days: log.days)
    }
}
