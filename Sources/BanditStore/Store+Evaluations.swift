// Off-policy evaluations: what `evaluate` estimated, per run, target and estimator, beside the truth.

import BanditCore

/// One evaluation as `evaluate` made it: where its logs came from, how, and every run's figures.
public struct EvaluationRecord: Sendable, Equatable {
    public var id: Int64
    public var experimentID: Int64
    /// The job whose runs were evaluated; nil for the live run.
    public var jobID: Int64?
    public var command: String
    public var train: Int
    public var bootstrap: Bool
    public var rows: [EvaluationRow]

    public init(id: Int64 = 0, experimentID: Int64, jobID: Int64?, command: String, train: Int, bootstrap: Bool, rows: [EvaluationRow]) {
        self.id = id
        self.experimentID = experimentID
        self.jobID = jobID
        self.command = command
        self.train = train
        self.bootstrap = bootstrap
        self.rows = rows
    }
}

/// One estimator's estimate of one target on one run's logs.
public struct EvaluationRow: Sendable, Equatable {
    public var runID: Int64
    public var target: Policy
    public var estimate: OffPolicyEstimate
    public var usable: Bool
    public var decisions: Int
    public var effectiveSampleSize: Double
    public var largestWeight: Double
    public var unsupported: Double?
    public var truth: PolicyValue?

    public init(runID: Int64, target: Policy, estimate: OffPolicyEstimate, usable: Bool, decisions: Int, effectiveSampleSize: Double,
                largestWeight: Double, unsupported: Double?, truth: PolicyValue?) {
        self.runID = runID
        self.target = target
        self.estimate = estimate
        self.usable = usable
        self.decisions = decisions
        self.effectiveSampleSize = effectiveSampleSize
        self.largestWeight = largestWeight
        self.unsupported = unsupported
        self.truth = truth
    }
}

extension Store {
    /// Stores an evaluation and every row of it in one transaction; returns its id.
    public func recordEvaluation(_ evaluation: EvaluationRecord) throws(StoreError) -> Int64 {
        try transaction { connection in
            try statement("""
                INSERT INTO evaluation_sets (experiment_id, job_id, command, train_days, interval) VALUES (?, ?, ?, ?, ?)
                """).bind([evaluation.experimentID, evaluation.jobID, evaluation.command, evaluation.train,
                           evaluation.bootstrap ? "bootstrap" : "normal"]).run()
            let id = connection.lastInsertRowID
            let insert = try statement("""
                INSERT INTO evaluation_estimates (evaluation_id, run_id, target, estimator, estimate, standard_error, lower, upper,
                    usable, decisions, effective_sample_size, largest_weight, unsupported, truth, truth_standard_error)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for row in evaluation.rows {
                let e = row.estimate
                try insert.bind([id, row.runID, row.target.label, e.estimator.rawValue, e.value, e.standardError, e.lower, e.upper,
                                 row.usable ? 1 : 0, row.decisions, row.effectiveSampleSize, row.largestWeight, row.unsupported,
                                 row.truth?.value, row.truth?.standardError]).run()
            }
            return id
        }
    }

    /// The experiment's latest evaluation, with its rows ordered by run, target and estimator; nil
    /// when it has none.
    public func latestEvaluation(experimentID: Int64) throws(StoreError) -> EvaluationRecord? {
        try reading { c in
            guard var record = try c.statement("""
                SELECT id, job_id, command, train_days, interval FROM evaluation_sets WHERE experiment_id = ? ORDER BY id DESC LIMIT 1
                """).bind(1, experimentID).rows({ s in
                    EvaluationRecord(id: s.int64("id"), experimentID: experimentID, jobID: s.optionalInt64("job_id"),
                                     command: s.string("command"), train: s.int("train_days"),
                                     bootstrap: s.string("interval") == "bootstrap", rows: [])
                }).first
            else { return nil }
            record.rows = try c.statement("""
                SELECT run_id, target, estimator, estimate, standard_error, lower, upper, usable, decisions, effective_sample_size,
                       largest_weight, unsupported, truth, truth_standard_error
                FROM evaluation_estimates WHERE evaluation_id = ? ORDER BY rowid
                """).bind(1, record.id).rows { s in
                guard let estimator = OffPolicyEstimator(rawValue: s.string("estimator")) else {
                    throw StoreError.corrupt(path: path, detail: "evaluation \(record.id): estimator '\(s.string("estimator"))'")
                }
                let truth = s.optionalDouble("truth").map {
                    PolicyValue(value: $0, standardError: s.optionalDouble("truth_standard_error") ?? 0,
                                exact: (s.optionalDouble("truth_standard_error") ?? 0) == 0)
                }
                return EvaluationRow(
                    runID: s.int64("run_id"), target: try Policy(label: s.string("target")),
                    estimate: OffPolicyEstimate(estimator: estimator, value: s.double("estimate"), standardError: s.double("standard_error"),
                                                lower: s.double("lower"), upper: s.double("upper")),
                    usable: s.int("usable") != 0, decisions: s.int("decisions"), effectiveSampleSize: s.double("effective_sample_size"),
                    largestWeight: s.double("largest_weight"), unsupported: s.optionalDouble("unsupported"), truth: truth)
            }
            return record
        }
    }
}
