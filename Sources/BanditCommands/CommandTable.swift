// The command table: every command of the language, once. Help, completion and the man page read it.

import BanditCore

/// Bounds of the protocol's sizes, checked when a command names them.
enum Limits {
    static let count = 1...1_000_000
    static let decisions = 1...10_000_000
    static let features = 1...63
    static let actions = 1...100_000
    static let seed = 0...Int(UInt32.max)
    static let noise = 0.0...100.0
}

extension Command {
    /// Every command, in the order help lists them.
    public static let table: [Command] = [
        Command("new", arguments: [
            .positional("NAME", .name, help: "the experiment's name"),
            .keyword("rng", "KIND", .choice(GeneratorKind.allCases.map(\.rawValue)), help: "generator: default or numpy"),
            .keyword("seed", "N", .integer(Limits.seed), help: "seed, 0 to 4294967295"),
        ], flags: [.mutating], summary: "create an experiment and make it current",
        details: """
            Creates an experiment with its own generator (default: the fast 'default' generator, seed 0) \
            and makes it current. 'rng numpy' selects MT19937 with numpy's legacy semantics, which \
            reproduces the reference notebook bit for bit. Draw its world next with 'world'.
            """, examples: ["new notebook rng numpy seed 17"], handler: Handlers.new),
        Command("use", arguments: [.positional("NAME", .experiment, help: "an existing experiment")],
                summary: "make an experiment current", details: "Makes an existing experiment current; the prompt shows it.",
                examples: ["use notebook"], handler: Handlers.use),
        Command("experiments", summary: "list the experiments",
                details: "Lists every experiment with its generator, seed, world, live policy, days logged and stored results.",
                handler: Handlers.experiments),
        Command("drop", arguments: [.positional("NAME", .experiment, help: "an existing experiment")], flags: [.mutating],
                summary: "delete an experiment and everything it holds",
                details: "Deletes the experiment, its runs, logged decisions, checkpoints, results and jobs.",
                examples: ["drop scratch"], handler: Handlers.drop),
        Command("seed", arguments: [.positional("N", .integer(Limits.seed), help: "seed, 0 to 4294967295")],
                flags: [.mutating, .needsExperiment], summary: "reseed the current experiment's generator",
                details: """
                    Reseeds the current experiment's generator, as np.random.seed(N) does in the notebook. \
                    The live run, if any, continues on the reseeded stream.
                    """, examples: ["seed 17"], handler: Handlers.seed),
        Command("world", arguments: [
            .keyword("features", "F", .integer(Limits.features), help: "features including the constant (default 5)"),
            .keyword("actions", "K", .integer(Limits.actions), help: "posts to recommend (default 30)"),
            .keyword("noise", "S", .real(Limits.noise), help: "noise σ of the log viewing time (default 0.1)"),
        ], flags: [.mutating, .needsExperiment], summary: "draw a new world and show its summary",
        details: """
            Draws the weights of a new world from the experiment's generator (features × actions normal \
            deviates, feature by feature) and shows d, K, σ, and the expected viewing time of the best post \
            (the oracle) and of a random one. A new world retires the live run and removes the results \
            obtained on the previous one.
            """, examples: ["world features 5 actions 30"], handler: Handlers.world),
        Command("set", arguments: [
            .positional("SETTING", .choice(["decisions", "days", "runs"]), help: "which setting"),
            .positional("N", .integer(Limits.decisions), help: "its value"),
        ], flags: [.mutating, .needsExperiment], summary: "set decisions per day, days per run, or runs",
        details: "Sets a protocol setting of the current experiment: decisions per day (default 100), days per run (14) or runs (10).",
        examples: ["set decisions 200", "set runs 40"], handler: Handlers.set),
        Command("settings", flags: [.needsExperiment], summary: "show the protocol settings",
                details: "Shows the current experiment's generator, seed, live policy and protocol settings.",
                handler: Handlers.settings),
        Command("policy", arguments: [.positional("POLICY", .policy, help: "greedy, eps E (ε-greedy) or ts B (Thompson sampling)")],
                flags: [.mutating, .needsExperiment], summary: "select the live policy",
                details: """
                    Selects the live policy: 'greedy', 'eps E' (ε-greedy with 0 ≤ E ≤ 1) or 'ts B' (Thompson \
                    sampling with B ≥ 1 bootstrap replicates); canonical labels such as eps:0.1 and ts:30 are \
                    accepted too. Nothing is drawn from the generator: the live run is retired, and the next \
                    'day' starts a new one with fresh random coefficients.
                    """, examples: ["policy ts 30", "policy eps 0.1"], handler: Handlers.policy),
        Command("day", arguments: [.positional("N", .integer(Limits.count), optional: true, help: "days (default 1)")],
                flags: [.mutating, .needsWorld, .longRunning], summary: "play N production days with the live policy",
                details: """
                    Plays N production days of the live run (starting it if needed), each decision logged with \
                    its propensity, without refitting; prints each day's mean viewing time and regret. Runs as a \
                    job: '&' runs it in the background, Ctrl-C or 'cancel' stops it at a day boundary, 'resume' \
                    continues it.
                    """, examples: ["day", "day 3"], handler: Handlers.day),
        Command("fit", flags: [.mutating, .needsWorld], summary: "refit the live policy on all its decisions",
                details: "Refits the live run's recommender on every decision of the run so far and checkpoints it.",
                handler: Handlers.fit),
        Command("step", arguments: [.positional("N", .integer(Limits.count), optional: true, help: "days (default 1)")],
                flags: [.mutating, .needsWorld, .longRunning], summary: "N × (day, fit): the notebook's daily loop",
                details: """
                    Plays N days of the live run, refitting after each, each day committed with its checkpoint. \
                    Runs as a job, like 'day'.
                    """,
                examples: ["step 14"], handler: Handlers.step),
        Command("reset", flags: [.mutating, .needsExperiment], summary: "start a new live run",
                details: "Retires the live run; the next 'day' or 'step' starts a new one with fresh random coefficients.",
                handler: Handlers.reset),
        Command("runs", arguments: [
            .positional("R", .integer(Limits.count), optional: true, help: "runs (default: the runs setting)"),
            .keyword("days", "D", .integer(Limits.count), help: "days per run (default: the days setting)"),
        ], flags: [.mutating, .needsWorld, .longRunning], summary: "R independent runs of the live policy; store its curve",
        details: """
            The notebook's run_sequences for the live policy: R runs of D days of (day, fit). Stores the \
            per-day mean viewing time and its standard error under the policy's label, replacing an earlier \
            result with the same label. Runs as a job: every day is committed, Ctrl-C stops it at a day \
            boundary, and 'resume' continues it exactly.
            """, examples: ["runs 10 days 14"], handler: Handlers.runs),
        Command("compare", arguments: [
            .positional("POLICY", .policy, repeating: true, help: "policies to compare, e.g. greedy eps:0.1 ts:30"),
            .keyword("runs", "R", .integer(Limits.count), help: "runs per policy"),
            .keyword("days", "D", .integer(Limits.count), help: "days per run"),
        ], flags: [.mutating, .needsWorld, .longRunning], summary: "runs for several policies from the same generator state",
        details: """
            'runs' for each policy, every policy starting from the same generator state (common random \
            numbers), each curve stored under its policy's label.
            """, examples: ["compare greedy eps:0.1 ts:30 runs 10"], handler: Handlers.compare),
        Command("jobs", flags: [.needsExperiment], summary: "list the current experiment's jobs",
                details: "Lists the jobs of the current experiment: id, command, progress in days, state.",
                handler: Handlers.jobs),
        Command("resume", arguments: [.positional("J", .integer(1...Int(Int32.max)), optional: true, help: "job id (default: the latest resumable)")],
                flags: [.mutating, .needsExperiment, .longRunning], summary: "continue an interrupted or cancelled job",
                details: "Continues a job that was interrupted (crash, Ctrl-C) from its last committed day; the result is what an uninterrupted job would have given.",
                examples: ["resume", "resume 3"], handler: Handlers.resume),
        Command("wait", arguments: [.positional("J", .integer(1...Int(Int32.max)), optional: true, help: "job id (default: the latest running)")],
                flags: [.needsExperiment, .longRunning], summary: "wait for a running job, with a progress bar",
                details: "Waits until the job ends (Ctrl-C stops waiting, not the job) and tells how it ended.",
                examples: ["wait", "wait 3"], handler: Handlers.wait),
        Command("cancel", arguments: [.positional("J", .integer(1...Int(Int32.max)), help: "job id")], summary: "stop a running job at its next day boundary",
                details: "Stops a running job at its next day boundary; its completed days are kept and 'resume' continues it.",
                examples: ["cancel 3"], handler: Handlers.cancel),
        Command("stats", flags: [.needsExperiment], summary: "the live run and the stored results",
                details: """
                    Shows the live run (days, decisions, mean viewing time and regret per day, picks per post; \
                    a long run shows its last 20 days and its older ones in at most 20 bins, and 'export days' \
                    writes them all) and, per stored result, the mean ± standard error per day and the asymptote (the mean over \
                    days 5..D).
                    """, handler: Handlers.stats),
        Command("betas", arguments: [.positional("ACTION", .integer(0...99_999), optional: true, help: "one post (0-based)")],
                flags: [.needsWorld], summary: "the live policy's coefficients",
                details: "Shows the live run's coefficients per post and feature; for Thompson sampling the ensemble's mean and spread (standard deviation).",
                examples: ["betas", "betas 3"], handler: Handlers.betas),
        Command("log", arguments: [.positional("N", .integer(Limits.count), optional: true, help: "decisions (default 10)")],
                flags: [.needsWorld], summary: "the live run's last N decisions",
                details: "Shows the last N decisions of the live run (up to a million; a long reply streams to the terminal as it comes): day, context (features 0..d-1), post, propensity, viewing time.",
                examples: ["log 20"], handler: Handlers.log),
        Command("plot", arguments: [
            .positional("FILE", .path, optional: true, help: "an .svg file to write instead of drawing on the terminal"),
            .positional("POLICY", .policy, optional: true, repeating: true, help: "results to show (default: all)"),
        ], flags: [.needsExperiment], summary: "chart the stored results (or the live run)",
        details: """
            Draws the stored results of the current experiment: mean viewing time per day with a ±1 SE band \
            and the asymptote per policy; with no results, the live run's days against the oracle. With \
            FILE (ending in .svg) writes a standalone SVG figure instead; policies restrict the chart.
            """, examples: ["plot", "plot curves.svg greedy ts:30"], handler: Handlers.plot),
        Command("export", arguments: [
            .positional("WHAT", .choice(["curves", "days", "decisions"]), help: "curves, days or decisions"),
            .positional("FILE", .path, help: "the CSV file to write"),
        ], flags: [.needsExperiment], summary: "write results, or the live run's days or decisions, as CSV",
        details: """
            'export curves FILE' writes every stored result, header policy,day,runs,mean,se, one row per \
            policy and day, numbers in shortest round-trip form. 'export days FILE' writes every day of the \
            live run: day,decisions,mean_viewing_time,regret. 'export decisions FILE' writes the live \
            run's decisions: day,decision,x0..x(d-1),action,propensity,viewing_time.
            """, examples: ["export curves notebook.csv"], handler: Handlers.export),
        Command("help", arguments: [.positional("COMMAND", .command, optional: true, help: "a command")],
                summary: "list the commands, or describe one", details: "Lists the commands, or shows one command's usage, description and examples.",
                examples: ["help", "help compare"], handler: Handlers.help),
        Command("shutdown", summary: "stop the daemon",
                details: """
                    Stops banditd: running jobs stop at their next day boundary (every completed day is \
                    committed) and resume by themselves when it starts again; the database is closed cleanly.
                    """, handler: Handlers.shutdown),
        Command("quit", aliases: ["exit"], summary: "leave", details: "Leaves the REPL (Ctrl-D too); the daemon and its jobs go on.",
                handler: Handlers.quit),
    ]

    /// Finds a command by name, alias or unique prefix.
    public static func resolve(_ word: String) throws(CommandError) -> Command {
        let key = word.lowercased()
        if let exact = table.first(where: { $0.name == key || $0.aliases.contains(key) }) { return exact }
        let matches = table.filter { $0.name.hasPrefix(key) || $0.aliases.contains { $0.hasPrefix(key) } }
        switch matches.count {
        case 1: return matches[0]
        case 0: throw .unknownCommand(word)
        default: throw .ambiguousCommand(word, matches.map(\.name).sorted())
        }
    }
}
