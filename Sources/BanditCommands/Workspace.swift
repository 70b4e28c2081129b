// The one owner of a state directory's mutable state: the store's writes, the live runs, the running jobs.

import BanditCore
import BanditJobs
import BanditStore
import Foundation

/// What a command changes. Handlers of commands flagged `mutating` return their reply and append
/// effects; the workspace applies them, holding its writer lock, after checking that no running job
/// plays an experiment they touch. Handlers never write to the store themselves.
enum Effect: Sendable {
    case createExperiment(name: String, kind: GeneratorKind, seed: UInt32)
    /// Settings, seed, live policy; with `retiringLiveRun`, the live run is retired too.
    case save(ExperimentRecord, retiringLiveRun: Bool)
    case replaceWorld(ExperimentRecord)
    case drop(ExperimentRecord)
    /// Refit the live run and checkpoint it; the reply is the fit's.
    case fitLiveRun(ExperimentRecord)
    /// Create (or find) a job and play it, in the foreground or the background; the reply is the job's.
    case startJob(JobRequest)
    /// The session's current experiment, set once the effects before it were applied.
    case use(String?)
    /// Store an evaluation (`evaluate`, a read command: its handler computes without the writer lock,
    /// then this is applied under it); the reply says under which id it was stored.
    case recordEvaluation(EvaluationRecord)
    /// Create an experiment holding imported logs (`import logs`, parsed by its handler without the
    /// writer lock); the reply says what it holds.
    case importLogs(ImportedLogs, file: String, name: String)
    /// Play shard `index` of a sweep plan in this store, creating its experiment and job the first
    /// time and continuing them after (a requeued or restarted shard); the reply is the job's.
    case playShard(SweepSpec, index: Int)
    /// Merge a sweep's shard stores into an experiment (`sweep merge`); the reply says what it holds.
    case mergeSweep(SweepSpec, shards: [String], into: String, create: Bool, decisions: Bool, partial: Bool)

    /// The experiment whose stored state the effect changes, if any: refused while a job plays it.
    var experimentID: Int64? {
        switch self {
        // An evaluation adds rows of its own beside a job's: it does not touch what the job plays.
        case .createExperiment, .use, .recordEvaluation, .importLogs, .playShard, .mergeSweep: nil
        case .save(let e, _), .replaceWorld(let e), .drop(let e), .fitLiveRun(let e): e.id
        case .startJob(let request): request.experiment.id
        }
    }
}

/// A job a command asks for.
enum JobRequest: Sendable {
    /// R runs × D days per policy (`runs`, `compare`).
    case runs(ExperimentRecord, policies: [Policy], schedule: Schedule)
    /// D days of the live run, started now if there is none (`day`, `step`).
    case live(ExperimentRecord, days: Int, fitting: Bool)
    /// Continue a stopped job (`resume`).
    case resume(ExperimentRecord, JobRecord)
    /// Shard `index` of a sweep plan: its slice of each policy's runs (`shard`).
    case shard(ExperimentRecord, SweepSpec, index: Int)

    var experiment: ExperimentRecord {
        switch self {
        case .runs(let e, _, _), .live(let e, _, _), .resume(let e, _), .shard(let e, _, _): e
        }
    }
}

/// Everything the sessions of one state directory share, and its one owner: the store's writes,
/// the live runs in memory and the running jobs.
///
/// Concurrency: commands that change stored state (flagged `mutating`) run their handler and apply
/// its effects holding `writer`, so writes are serial and the check that no job plays an
/// experiment is one step with the write it guards; jobs are created, registered, started and ended
/// under it too, then play outside it (their days committed by their own writer threads through the
/// store's write connection). Reads take nothing here: they use the store's read connections and
/// see committed state, so they never wait for a job.
public final class Workspace: @unchecked Sendable {
    public let store: Store
    let executor: JobExecutor
    /// What work may take (bandit.conf's memory_limit and disk_limit); checked before work starts.
    public let limits: ResourceLimits
    /// The jobs executing now, in the foreground or the background (thread-safe on its own).
    public let registry = JobRegistry()
    /// Set by a daemon before it serves: what `shutdown` does. Nil in a one-shot process.
    public var shutdown: (@Sendable () -> Void)?
    /// Set by a daemon before it serves: told one line when a background job ends (for its log).
    public var jobEnded: (@Sendable (String) -> Void)?
    private let writer = NSLock()
    /// Owned by `writer`: live runs in memory, each restored from the store on first use. A `day`
    /// or `step` job takes its experiment's entry while it plays and gives it back when it ends.
    private var live: [Int64: LiveRun] = [:]

    public init(store: Store, threads: Int = Experiment.availableThreads, limits: ResourceLimits = .unlimited) {
        self.store = store
        self.executor = JobExecutor(store: store, threads: threads)
        self.limits = limits
    }

    func experiment(named name: String) throws -> ExperimentRecord {
        guard let experiment = try store.experiment(named: name) else { throw CommandError.failed("no experiment named '\(echo(name))'") }
        return experiment
    }

    /// Executes a command that changes stored state: its handler and effects under the writer
    /// lock, then the job it asked for, if any (outside the lock, in the foreground or background).
    func perform(_ command: Command, _ call: inout Invocation) throws -> Reply {
        let (reply, job, dropped) = try writer.withLock { () throws -> (Reply, PreparedJob?, Dropped?) in
            // Refused before the handler works (a world of 63 features takes a while to draw) when a
            // job plays the current experiment, which every such command writes to.
            if command.flags.contains(.needsExperiment), let current = call.session.current,
               let job = registry.running.first(where: { $0.experiment == current }) {
                throw job.conflict
            }
            let reply = try command.handler(&call)
            return try apply(call, reply: reply)
        }
        // The drop's own reply says what it freed; a command that dropped on the way (`new e replace`) says it first.
        if let dropped {
            let freed = reclaimSpace(after: dropped)
            return command.name == DropCommand.command.name ? freed : .sequence([freed, reply])
        }
        guard let job else { return reply }
        return call.background ? start(job, session: call.session) : try play(job, call: call)
    }

    /// Applies the effects of a command that is not flagged `mutating` but stores what it computed
    /// (`evaluate`, `import`): under the writer lock, but only once its handler, which may take long,
    /// is done.
    func record(_ call: Invocation, reply: Reply) throws -> Reply {
        guard !call.effects.isEmpty else { return reply }
        return try writer.withLock { try apply(call, reply: reply).0 }
    }

    // MARK: Applying effects (callers hold `writer`)

    private func apply(_ call: Invocation, reply: Reply) throws -> (Reply, PreparedJob?, Dropped?) {
        for effect in call.effects {
            if let id = effect.experimentID, let job = registry.playing(experimentID: id) { throw job.conflict }
        }
        var reply = reply, job: PreparedJob?, dropped: Dropped?
        for effect in call.effects {
            switch effect {
            case .createExperiment(let name, let kind, let seed):
                _ = try store.createExperiment(name: name, seed: seed, generator: Generator(kind: kind, seed: seed))
            case .save(let experiment, let retiring):
                try checkLiveDay(experiment, fresh: retiring)
                try store.save(experiment, retiringLiveRun: retiring)
                if retiring { live[experiment.id] = nil }
            case .replaceWorld(let experiment):
                try checkLiveDay(experiment, fresh: true)
                try store.replaceWorld(experiment)
                live[experiment.id] = nil
            case .drop(let experiment):
                dropped = Dropped(name: experiment.name, decisions: try store.dropExperiment(named: experiment.name))
                live[experiment.id] = nil
            case .fitLiveRun(let experiment):
                reply = try fitLiveRun(experiment)
            case .startJob(let request):
                job = try prepare(request, command: call.text, background: call.background)
            case .playShard(let spec, let index):
                let experiment = try shardExperiment(spec)
                call.session.current = experiment.name
                if let started = try store.shardJob(plan: spec.plan, index: index) {
                    if started.state == .finished {
                        reply = .text("shard \(index) of plan \(spec.plan) has played its runs already (job \(started.id)): nothing to do")
                    } else {
                        job = try prepare(.resume(experiment, started), command: call.text, background: call.background)
                    }
                } else {
                    job = try prepare(.shard(experiment, spec, index: index), command: call.text, background: call.background)
                }
            case .use(let name):
                call.session.current = name
            case .importLogs(let logs, let file, let name):
                let log = try store.importLogs(logs, file: file, name: name, seed: 0, generator: Generator(kind: .default, seed: 0))
                reply = .text("imported \(countDecisions(log.decisions)) over \(counted(log.days, "day")) from \(file) into experiment \(name): "
                              + "\(log.features) features (the constant included), \(counted(log.actions, "post")); "
                              + "'evaluate TARGET' estimates policies from them")
            case .mergeSweep(let spec, let shards, let name, let create, let decisions, let partial):
                let merged = try store.mergeSweep(spec, shards: shards, into: name, create: create, decisions: decisions, partial: partial)
                let total = spec.policies.count * spec.runs
                reply = .sequence([
                    .text("merged plan \(spec.plan) into experiment \(name) as job \(merged.jobID): \(merged.runs) of \(total) runs"
                          + (partial ? " (partial: 'sweep merge' again once every shard is done replaces it)" : "")
                          + (decisions ? ", \(countDecisions(merged.decisions))" : ", without their decisions")),
                    .table(Reports.resultsTable(merged.curves, oracle: (try? spec.world())?.oracle().best)),
                ])
            case .recordEvaluation(let evaluation):
                let id = try store.recordEvaluation(evaluation)
                reply = .sequence([reply, .text("stored as evaluation \(id): every run's figures are in the view 'evaluations' of "
                                                + "\(Store.databaseName); 'plot evaluation' draws them")])
            }
        }
        return (reply, job, dropped)
    }

    /// The experiment a shard plays in, created with the plan's world the first time; an experiment
    /// of that name with another world is refused (a shard needs a state directory of its own).
    private func shardExperiment(_ spec: SweepSpec) throws -> ExperimentRecord {
        let world = try spec.world(), generator = try spec.generator()
        var experiment = try store.experiment(named: spec.experiment)
            ?? store.createExperiment(name: spec.experiment, seed: spec.seed, generator: generator)
        if experiment.world == nil {
            experiment.world = world
            experiment.schedule = try spec.schedule()
            try store.save(experiment)
        }
        guard experiment.world == world else {
            throw CommandError.failed("experiment '\(spec.experiment)' of \(store.path) has another world than plan \(spec.plan)'s: "
                                      + "a shard plays in a state directory of its own")
        }
        return experiment
    }

    /// An experiment just dropped: its name and the decisions it had logged.
    private struct Dropped {
        var name: String
        var decisions: Int
    }

    /// Gives the pages of a dropped experiment back to the file system and says so. A file that
    /// frees them incrementally does it in chunks, outside `writer` (jobs go on); an older one is
    /// compacted by VACUUM under `writer`, so that no job starts meanwhile, and only when none runs
    /// (VACUUM would hold their commits until it is done). The drop stands whatever happens here.
    private func reclaimSpace(after dropped: Dropped) -> Reply {
        let what = "dropped \(dropped.name): \(countDecisions(dropped.decisions))"
        do {
            let space = try store.reclaimsIncrementally()
                ? try store.reclaimSpace(mayCompact: false)
                : try writer.withLock { () throws -> ReclaimedSpace in try store.reclaimSpace(mayCompact: registry.isIdle) }
            if space.keptInside > 0 {
                return .text("\(what); \(formatBytes(space.keptInside)) stay free inside \(Store.databaseName) for new data "
                             + "(this older file shrinks at a drop while no job runs)")
            }
            let compacted = space.compacted ? " (the file was compacted once; from now on each drop frees its space at once)" : ""
            return .text("\(what), \(formatBytes(space.freed)) freed\(compacted)")
        } catch {
            return .text("\(what); its space stays inside \(Store.databaseName), reused by new data: \(Interpreter.message(error))")
        }
    }

    /// The experiment's live run, from memory or restored from the store, drawing from the
    /// experiment's generator as it stands now; with `creating`, started now when there is none.
    private func liveRun(of experiment: ExperimentRecord, world: World, creating: Bool) throws -> LiveRun? {
        if var cached = live[experiment.id] {
            cached.run.useGenerator(experiment.generator)
            return cached
        }
        if let record = try store.liveRun(experimentID: experiment.id) {
            let saved = try store.loadRun(id: record.id, world: world)
            var run = Run(world: world, policy: record.policy, oracleValue: world.oracle().best,
                          ridge: experiment.schedule.ridge, warmup: experiment.schedule.warmup, checkpoint: saved.checkpoint,
                          days: saved.days, history: saved.history)
            run.useGenerator(experiment.generator)
            return LiveRun(record: record, run: run)
        }
        guard creating else { return nil }
        let run = Run(world: world, policy: experiment.policy, generator: experiment.generator, oracleValue: world.oracle().best,
                      ridge: experiment.schedule.ridge, warmup: experiment.schedule.warmup)
        let record = try store.startRun(experimentID: experiment.id, jobID: nil, policy: experiment.policy, ordinal: 0,
                                        status: .live, checkpoint: run.checkpoint, world: world)
        return LiveRun(record: record, run: run)
    }

    private func fitLiveRun(_ experiment: ExperimentRecord) throws -> Reply {
        guard let world = experiment.world, var current = try liveRun(of: experiment, world: world, creating: false) else {
            throw CommandError.failed("no live run yet: play a day first with 'day'")
        }
        current.run.fit()
        try store.saveCheckpoint(run: current.record, current.run.checkpoint, world: world, picks: current.run.recommender.counts)
        current.record.daysPlayed = current.run.days.count
        live[experiment.id] = current
        let run = current.run, decisions = run.recommender.counts.reduce(0, +)
        return .text("fitted \(run.policy.label) on \(counted(decisions, "decision")) of \(counted(run.days.count, "day")) (fit \(run.recommender.fits))")
    }

    // MARK: The budget (callers hold `writer`, so that jobs start and end one at a time)

    private func budget() throws -> Budget {
        Budget(limits: limits, freeSpace: try store.freeSpace(), largestValue: try store.largestValue(),
               running: registry.running.map(\.footprint))
    }

    /// Refuses work that a read command does itself (`evaluate`) when its footprint does not fit
    /// what is left of the limits beside the running jobs.
    func checkBudget(_ footprint: Footprint, work: String) throws {
        try writer.withLock { try budget().check(footprint, work: work, path: store.path) }
    }

    /// Decisions the experiment's live run has logged so far (0 when it has none).
    private func loggedDecisions(_ experiment: ExperimentRecord) throws -> Int {
        if let cached = live[experiment.id] { return cached.run.recommender.counts.reduce(0, +) }
        guard let record = try store.liveRun(experimentID: experiment.id) else { return 0 }
        return record.daysPlayed * experiment.schedule.decisionsPerDay
    }

    /// Refuses a change after which the live run's next day would not fit the budget (a policy of
    /// 10,000 replicates on a world of 63 features and 1,000 posts), before anything is saved.
    private func checkLiveDay(_ experiment: ExperimentRecord, fresh: Bool) throws {
        guard let world = experiment.world else { return }
        let logged = fresh ? 0 : try loggedDecisions(experiment)
        let day = Footprint.live(world: world, policy: experiment.policy, decisionsPerDay: experiment.schedule.decisionsPerDay,
                                 days: 1, logged: logged, kind: experiment.kind)
        let work = "a day of the live run (\(experiment.policy.label), \(counted(world.features, "feature")), "
            + "\(counted(world.actions, "post")))"
        try budget().check(day, work: work, path: store.path)
    }

    /// What a requested job will take, from its start (or from where it stopped) to its end.
    private func footprint(of request: JobRequest, world: World) throws -> Footprint {
        let experiment = request.experiment
        switch request {
        case .runs(_, let policies, let schedule):
            return Footprint.job(world: world, policies: policies, schedule: schedule, kind: experiment.kind,
                                 threads: executor.threads, keepingDecisions: experiment.keep == .decisions)
        case .live(_, let days, _):
            return Footprint.live(world: world, policy: experiment.policy, decisionsPerDay: experiment.schedule.decisionsPerDay,
                                  days: days, logged: try loggedDecisions(experiment), kind: experiment.kind)
        case .shard(_, let spec, let index):
            var schedule = try spec.schedule()
            schedule.runs = spec.slices[index].count
            return Footprint.job(world: world, policies: try spec.policyList(), schedule: schedule, kind: experiment.kind,
                                 threads: executor.threads)
        case .resume(_, let job):
            let left = max(0, job.daysTotal - job.daysDone)
            if job.kind != .runs {
                return Footprint.live(world: world, policy: job.policies[0], decisionsPerDay: job.schedule.decisionsPerDay,
                                      days: left, logged: try loggedDecisions(experiment), kind: experiment.kind)
            }
            var schedule = job.schedule
            if let ordinals = job.ordinals { schedule.runs = ordinals.count }
            var whole = Footprint.job(world: world, policies: job.policies, schedule: schedule, kind: experiment.kind,
                                      threads: executor.threads, keepingDecisions: job.keep == .decisions)
            whole.disk = Int(Double(whole.disk) * Double(left) / Double(max(1, job.daysTotal)))
            return whole
        }
    }

    /// A job recorded (or found, to resume) and registered as running, with the live run it plays.
    private func prepare(_ request: JobRequest, command: String, background: Bool) throws -> PreparedJob {
        let experiment = request.experiment
        guard let world = experiment.world else { throw CommandError.failed("no world yet: draw one with 'world'") }
        let estimate = try footprint(of: request, world: world)
        let budget = try budget()
        try budget.check(estimate, work: "the job", path: store.path)
        let job: JobRecord
        var run: LiveRun?
        switch request {
        case .runs(_, let policies, let schedule):
            job = try executor.create(experiment: experiment, command: command, policies: policies, schedule: schedule)
        case .live(_, let days, let fitting):
            let started = try liveRun(of: experiment, world: world, creating: true)!
            var schedule = experiment.schedule
            schedule.runs = 1
            schedule.days = days
            job = try store.createJob(experimentID: experiment.id, command: command, policies: [experiment.policy],
                                      schedule: schedule, startGenerator: experiment.generator, kind: fitting ? .step : .day,
                                      liveRunID: started.record.id)
            run = started
        case .shard(_, let spec, let index):
            job = try store.createJob(experimentID: experiment.id, command: spec.command, policies: try spec.policyList(),
                                      schedule: try spec.schedule(), startGenerator: try spec.generator(),
                                      ordinals: spec.slices[index], shard: ShardIdentity(plan: spec.plan, index: index, count: spec.shards.count))
        case .resume(_, let stopped):
            job = stopped
            if job.kind != .runs {
                run = try liveRun(of: experiment, world: world, creating: false)
                guard run?.record.id == job.liveRunID else { throw JobError.liveRunReplaced(job.id) }
            }
        }
        try registry.begin(jobID: job.id, experimentID: experiment.id, experiment: experiment.name, command: job.command,
                           background: background, footprint: estimate)
        // The job plays the live run now: nobody else may use this copy meanwhile.
        live[experiment.id] = nil
        var resuming = false
        if case .resume = request { resuming = true }
        return PreparedJob(job: job, experimentID: experiment.id, live: run, notice: budget.notice(estimate, work: "job \(job.id)"),
                           resuming: resuming)
    }

    // MARK: Playing jobs

    /// Plays a prepared job to its end, then gives back its live run, tells `ended` how it went and
    /// ends its registration: whoever waits for the job hears of its end after `ended` did.
    private func execute(_ prepared: PreparedJob, progress: (@Sendable (JobProgress) -> Void)?,
                         interrupted: @escaping @Sendable () -> Bool,
                         ended: (Result<JobOutcome, any Error>) -> Void = { _ in }) -> Result<JobOutcome, any Error> {
        let id = prepared.job.id, label = prepared.job.command, registry = registry
        var run = prepared.takeLive()
        if let notice = prepared.notice { progress?(JobProgress(label: label, done: 0, total: 0, note: notice)) }
        let result = Result {
            try executor.execute(jobID: id, live: &run, shouldStop: {
                registry.stopReason(jobID: id) ?? (interrupted() ? .cancelled : nil)
            }, progress: { done, total in
                registry.update(jobID: id, done: done, total: total)
                progress?(JobProgress(label: label, done: done, total: total))
            })
        }
        writer.withLock {
            // After a failure the run in memory may be ahead of the store: it is restored from there.
            if case .success = result, let run { live[prepared.experimentID] = run }
            ended(result)
            registry.end(jobID: id)
        }
        return result
    }

    private func play(_ prepared: PreparedJob, call: Invocation) throws -> Reply {
        let outcome = try execute(prepared, progress: call.progress, interrupted: call.shouldStop).get()
        let job = try store.job(id: prepared.job.id) ?? prepared.job
        return Self.reply(to: outcome, job: job)
    }

    /// Starts a job on a thread of its own: the reply comes at once; when the job ends, the session
    /// that started it gets a notice and the daemon's log a line.
    private func start(_ prepared: PreparedJob, session: Session) -> Reply {
        let job = prepared.job
        registry.startBackground { [self] in
            _ = execute(prepared, progress: nil, interrupted: { false }) { result in
                let notice = Self.notice(result, job: job)
                session.notices.post(notice)
                jobEnded?(notice)
            }
        }
        let verb = prepared.resuming ? "resumed" : "started"
        let started = "job \(job.id) \(verb) in the background: \(job.command) ('jobs' lists it, 'wait \(job.id)' waits for it)"
        return .text(prepared.notice.map { started + "\n" + $0 } ?? started)
    }

    /// The line a background job's end is announced with, as a shell's `[1]+ Done`.
    static func notice(_ result: Result<JobOutcome, any Error>, job: JobRecord) -> String {
        switch result {
        case .success(.finished), .success(.played): "[job \(job.id)] finished: \(job.command)"
        case .success(.stopped(.cancelled)): "[job \(job.id)] cancelled: \(job.command) ('resume \(job.id)' continues it)"
        case .success(.stopped(.interrupted)): "[job \(job.id)] interrupted: \(job.command)"
        case .failure(let error): "[job \(job.id)] failed: \(job.command): \(Interpreter.message(error))"
        }
    }

    /// What a job that ran in the foreground answers.
    static func reply(to outcome: JobOutcome, job: JobRecord) -> Reply {
        switch outcome {
        case .finished(let curves):
            return .sequence([.text("job \(job.id) finished: \(job.command)")] + curves.map { .table(Reports.curveTable($0)) })
        case .played(let days):
            // A long job's every day would be a reply of millions of lines: the last ones, and where the rest are.
            let shown = days.suffix(Self.daysShown)
            var lines = shown.map { "day \($0.day): mean viewing time \(formatNumber($0.meanViewingTime)), regret \(formatNumber($0.regret))" }
            if days.count > shown.count {
                lines.insert("\(days.count) days played; the last \(shown.count) follow ('stats' summarises them all)", at: 0)
            }
            return .text(lines.joined(separator: "\n"))
        case .stopped(let stop):
            return .text("job \(job.id) stopped after \(job.daysDone) of \(counted(job.daysTotal, "day")) (each completed day is kept); "
                + (stop == .interrupted ? "it resumes when the daemon starts again" : "'resume \(job.id)' continues it"))
        }
    }

    /// Days a foreground `day` or `step` lists one by one.
    static let daysShown = 100
}

/// A job ready to play: its record, and the live run it plays (for `day` and `step`), handed over
/// once: the thread that executes the job takes it, so that no other reference to the run's
/// buffers is left and the job's days change them in place (a second reference would make the
/// first day copy them, twice the memory of a large run).
final class PreparedJob: @unchecked Sendable {
    let job: JobRecord
    let experimentID: Int64
    /// What a large job is estimated to take, said as it starts.
    let notice: String?
    /// Continues a stopped job (`resume`) rather than starting one.
    let resuming: Bool
    /// Owned by whoever holds the job until `takeLive`, then by the thread that executes it.
    private var live: LiveRun?

    init(job: JobRecord, experimentID: Int64, live: LiveRun?, notice: String?, resuming: Bool) {
        self.job = job
        self.experimentID = experimentID
        self.live = live
        self.notice = notice
        self.resuming = resuming
    }

    /// The live run, leaving none here.
    func takeLive() -> LiveRun? { live.take() }
}
