// The database schema, its versions and forward migrations, and the SQL views users query directly.

/// Schema versions by `PRAGMA user_version`. Each migration takes the database from its index to the
/// next version, inside the transaction that sets the new version.
enum Schema {
    static let version = 7

    /// `PRAGMA application_id` of a bandit store, "BNDT": how a file says whose it is before any
    /// table is read. Files made before it was set have 0 and are recognised by their tables.
    static let applicationID: Int64 = 0x424E_4454

    /// The tables (and a column of each) every bandit store has had since version 1.
    static let signature: [String: String] = [
        "experiments": "generator_state", "jobs": "start_generator", "runs": "days_played", "days": "mean_viewing_time",
        "decisions": "propensity", "checkpoints": "coefficients", "results": "decisions_per_day", "result_days": "se",
    ]

    /// Whether a file with `user_version` 1 or more but no application id has bandit's tables.
    static func hasSignature(_ connection: Connection) throws -> Bool {
        for (table, column) in signature {
            let columns = try connection.prepare("SELECT name FROM pragma_table_info(?)").bind(1, table).rows { $0.string(0) }
            guard columns.contains(column) else { return false }
        }
        return true
    }

    static let migrations: [String] = [
        // 0 → 1
        """
        CREATE TABLE experiments (
            id                INTEGER PRIMARY KEY,
            name              TEXT NOT NULL UNIQUE,
            generator         TEXT NOT NULL CHECK (generator IN ('numpy', 'default')),
            seed              INTEGER NOT NULL,
            generator_state   BLOB NOT NULL,
            features          INTEGER,
            actions           INTEGER,
            noise             REAL,
            weights           BLOB,
            decisions_per_day INTEGER NOT NULL DEFAULT 100,
            days              INTEGER NOT NULL DEFAULT 14,
            runs              INTEGER NOT NULL DEFAULT 10,
            policy            TEXT NOT NULL DEFAULT 'greedy',
            created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        );
        CREATE TABLE jobs (
            id                INTEGER PRIMARY KEY,
            experiment_id     INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
            command           TEXT NOT NULL,
            kind              TEXT NOT NULL DEFAULT 'runs' CHECK (kind IN ('runs', 'day', 'step')),
            live_run_id       INTEGER,
            policies          TEXT NOT NULL,
            runs              INTEGER NOT NULL,
            days              INTEGER NOT NULL,
            decisions_per_day INTEGER NOT NULL,
            start_generator   BLOB NOT NULL,
            state             TEXT NOT NULL CHECK (state IN ('running', 'interrupted', 'cancelled', 'finished', 'failed')),
            days_done         INTEGER NOT NULL DEFAULT 0,
            days_total        INTEGER NOT NULL,
            resumed           INTEGER NOT NULL DEFAULT 0,
            message           TEXT,
            created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
            updated_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        );
        CREATE INDEX jobs_by_state ON jobs(state);
        CREATE TABLE runs (
            id            INTEGER PRIMARY KEY,
            experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
            job_id        INTEGER REFERENCES jobs(id) ON DELETE CASCADE,
            policy        TEXT NOT NULL,
            ordinal       INTEGER NOT NULL,
            status        TEXT NOT NULL CHECK (status IN ('live', 'running', 'finished', 'retired')),
            days_played   INTEGER NOT NULL DEFAULT 0,
            UNIQUE (job_id, policy, ordinal)
        );
        CREATE INDEX runs_by_experiment ON runs(experiment_id, status);
        CREATE TABLE days (
            run_id            INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            day               INTEGER NOT NULL,
            decisions         INTEGER NOT NULL,
            mean_viewing_time REAL NOT NULL,
            regret            REAL NOT NULL,
            PRIMARY KEY (run_id, day)
        ) WITHOUT ROWID;
        -- No foreign key here: checking one per logged decision would halve the insert rate; the
        -- store only logs decisions of runs it holds, and the trigger below cascades deletions.
        CREATE TABLE decisions (
            run_id       INTEGER NOT NULL,
            day          INTEGER NOT NULL,
            idx          INTEGER NOT NULL,
            context      INTEGER NOT NULL,
            action       INTEGER NOT NULL,
            propensity   REAL NOT NULL,
            viewing_time REAL NOT NULL,
            PRIMARY KEY (run_id, day, idx)
        ) WITHOUT ROWID;
        CREATE TRIGGER runs_delete_decisions AFTER DELETE ON runs
        BEGIN
            DELETE FROM decisions WHERE run_id = old.id;
        END;
        CREATE TABLE checkpoints (
            run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            sequence     INTEGER NOT NULL,
            days_played  INTEGER NOT NULL,
            fits         INTEGER NOT NULL,
            coefficients BLOB NOT NULL,
            generator    BLOB NOT NULL,
            PRIMARY KEY (run_id, sequence)
        ) WITHOUT ROWID;
        CREATE TABLE results (
            experiment_id     INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
            policy            TEXT NOT NULL,
            runs              INTEGER NOT NULL,
            days              INTEGER NOT NULL,
            decisions_per_day INTEGER NOT NULL,
            job_id            INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
            created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
            PRIMARY KEY (experiment_id, policy)
        );
        CREATE TABLE result_days (
            experiment_id INTEGER NOT NULL,
            policy        TEXT NOT NULL,
            day           INTEGER NOT NULL,
            mean          REAL NOT NULL,
            se            REAL NOT NULL,
            PRIMARY KEY (experiment_id, policy, day),
            FOREIGN KEY (experiment_id, policy) REFERENCES results(experiment_id, policy) ON DELETE CASCADE
        ) WITHOUT ROWID;

        -- Views for the sqlite3 shell and pandas: names and plain columns, no blobs.
        CREATE VIEW result_curves AS
            SELECT e.name AS experiment, r.policy, d.day, r.runs, d.mean, d.se
            FROM result_days d
            JOIN results r ON r.experiment_id = d.experiment_id AND r.policy = d.policy
            JOIN experiments e ON e.id = d.experiment_id;
        CREATE VIEW run_days AS
            SELECT e.name AS experiment, u.id AS run, u.job_id AS job, u.policy, u.ordinal, u.status,
                   d.day, d.decisions, d.mean_viewing_time, d.regret
            FROM days d
            JOIN runs u ON u.id = d.run_id
            JOIN experiments e ON e.id = u.experiment_id;
        CREATE VIEW decision_log AS
            SELECT e.name AS experiment, u.id AS run, u.policy, c.day, c.idx AS decision,
                   c.context, c.action, c.propensity, c.viewing_time
            FROM decisions c
            JOIN runs u ON u.id = c.run_id
            JOIN experiments e ON e.id = u.experiment_id;
        """,
        // 1 → 2: a live run's picks per post at each checkpoint, so that `stats` reads them without
        // scanning the run's decisions (NULL in rows written before: read by a scan, once).
        """
        ALTER TABLE checkpoints ADD COLUMN picks BLOB;
        """,
        // 2 → 3: how often in a row the process died while a job ran without completing a day, and
        // the days it had done when it last started, so that a job that kills its daemon is not
        // resumed at every start.
        """
        ALTER TABLE jobs ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jobs ADD COLUMN days_at_start INTEGER NOT NULL DEFAULT 0;
        """,
        // 3 → 4: the protocol's warm-up days and ridge λ (experiments, jobs, results), and what a
        // checkpoint needs for the policies beyond the notebook: how many decisions its last fit
        // used (NULL: all) and the online bootstrap's key for its Poisson weights.
        """
        ALTER TABLE experiments ADD COLUMN warmup INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE experiments ADD COLUMN ridge REAL NOT NULL DEFAULT 1;
        ALTER TABLE jobs ADD COLUMN warmup INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jobs ADD COLUMN ridge REAL NOT NULL DEFAULT 1;
        ALTER TABLE results ADD COLUMN warmup INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE results ADD COLUMN ridge REAL NOT NULL DEFAULT 1;
        ALTER TABLE checkpoints ADD COLUMN fitted_decisions INTEGER;
        ALTER TABLE checkpoints ADD COLUMN bag_key INTEGER NOT NULL DEFAULT 0;
        """,
        // 4 → 5: off-policy evaluations (`evaluate`): one row per evaluation, one per run, target
        // and estimator, and a view that names them and sets each estimate against the truth; and
        // real logs (`import logs`): an experiment without a world whose one run holds the decisions
        // of a CSV file (its runs row has the policy 'logged').
        """
        CREATE TABLE imports (
            experiment_id INTEGER PRIMARY KEY REFERENCES experiments(id) ON DELETE CASCADE,
            run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            file          TEXT NOT NULL,
            features      INTEGER NOT NULL,
            actions       INTEGER NOT NULL,
            days          INTEGER NOT NULL,
            decisions     INTEGER NOT NULL,
            imported_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        );
        CREATE TABLE evaluation_sets (
            id            INTEGER PRIMARY KEY,
            experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
            job_id        INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
            command       TEXT NOT NULL,
            train_days    INTEGER NOT NULL,
            interval      TEXT NOT NULL CHECK (interval IN ('normal', 'bootstrap')),
            created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
        );
        CREATE TABLE evaluation_estimates (
            evaluation_id         INTEGER NOT NULL REFERENCES evaluation_sets(id) ON DELETE CASCADE,
            run_id                INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            target                TEXT NOT NULL,
            estimator             TEXT NOT NULL CHECK (estimator IN ('ips', 'snips', 'dm', 'dr')),
            estimate              REAL NOT NULL,
            standard_error        REAL NOT NULL,
            lower                 REAL NOT NULL,
            upper                 REAL NOT NULL,
            usable                INTEGER NOT NULL,
            decisions             INTEGER NOT NULL,
            effective_sample_size REAL NOT NULL,
            largest_weight        REAL NOT NULL,
            unsupported           REAL,
            truth                 REAL,
            truth_standard_error  REAL,
            UNIQUE (evaluation_id, run_id, target, estimator)
        );
        CREATE VIEW evaluations AS
            SELECT e.name AS experiment, s.id AS evaluation, s.job_id AS job, s.train_days, s.interval,
                   u.id AS run, u.policy AS logging, u.ordinal, x.target, x.estimator, x.estimate, x.standard_error,
                   x.lower, x.upper, x.usable, x.decisions, x.effective_sample_size, x.largest_weight, x.unsupported,
                   x.truth, x.truth_standard_error, x.estimate - x.truth AS error,
                   CASE WHEN x.truth IS NULL THEN NULL ELSE (x.lower <= x.truth AND x.truth <= x.upper) END AS covered
            FROM evaluation_estimates x
            JOIN evaluation_sets s ON s.id = x.evaluation_id
            JOIN runs u ON u.id = x.run_id
            JOIN experiments e ON e.id = s.experiment_id;
        """,
        // 5 → 6: sweeps. A shard's job plays a slice of each policy's runs (first_ordinal and
        // ordinal_count; NULL: all of them), and says which plan and shard it is; a merged sweep is a
        // finished job of the experiment, with the plan it came from and how many runs it holds.
        """
        ALTER TABLE jobs ADD COLUMN first_ordinal INTEGER;
        ALTER TABLE jobs ADD COLUMN ordinal_count INTEGER;
        CREATE TABLE sweep_shards (
            job_id INTEGER PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
            plan   TEXT NOT NULL,
            shard  INTEGER NOT NULL,
            shards INTEGER NOT NULL
        );
        CREATE TABLE sweep_merges (
            job_id  INTEGER PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
            plan    TEXT NOT NULL,
            runs    INTEGER NOT NULL,
            partial INTEGER NOT NULL
        );
        """,
        // 6 → 7: what a runs job keeps of a finished run (`set keep`): the experiment's setting, and
        // the job's, fixed when it starts so that a resumed job keeps what it began keeping.
        """
        ALTER TABLE experiments ADD COLUMN keep TEXT NOT NULL DEFAULT 'decisions' CHECK (keep IN ('decisions', 'summaries'));
        ALTER TABLE jobs ADD COLUMN keep TEXT NOT NULL DEFAULT 'decisions' CHECK (keep IN ('decisions', 'summaries'));
        """,
    ]
}
