// A single-node Slurm cluster started for a test: munged, slurmctld and slurmd with a generated
// slurm.conf for this host, in a directory of its own, stopped at the end.

@testable import BanditCommands
import BanditTestSupport
import Foundation

/// Slurm on this machine, as research clusters run it, for as long as a test needs it.
final class SlurmCluster {
    let directory: String
    let configuration: String
    /// What sbatch, squeue and scancel need to find this cluster.
    var environment: [String: String] { ["SLURM_CONF": configuration] }
    /// The daemons' pids, in the order they started.
    private var daemons: [pid_t] = []

    /// Why a cluster cannot start here, or nil when it can be tried: root (Slurm's daemons and
    /// munged's key), and Debian's slurm-wlm and munge installed (`make test` installs them).
    static var unavailable: String? {
        guard getuid() == 0 else { return "Slurm's daemons need root here" }
        for tool in ["/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch", "/usr/bin/squeue", "/usr/bin/scancel"]
        where !FileManager.default.isExecutableFile(atPath: tool) {
            return "\(tool) is not installed (apt-get install slurm-wlm munge)"
        }
        guard FileManager.default.isReadableFile(atPath: "/etc/munge/munge.key") else { return "/etc/munge/munge.key is missing" }
        return nil
    }

    init(directory: String) throws {
        self.directory = directory
        configuration = directory + "/slurm.conf"
        for sub in ["munge", "state", "spool", "log"] {
            try FileManager.default.createDirectory(atPath: directory + "/" + sub, withIntermediateDirectories: true)
        }
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        let memory = Int(ProcessInfo.processInfo.physicalMemory / 1_048_576 * 7 / 10)
        // Ports of their own, so that this cluster meets no other.
        let port = 20_000 + Int(getpid() % 10_000) * 2
        let conf = """
            ClusterName=bandittest
            SlurmctldHost=\(host)
            SlurmUser=root
            SlurmdUser=root
            AuthType=auth/munge
            CredType=cred/munge
            AuthInfo=socket=\(directory)/munge/munge.socket
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            SelectType=select/cons_tres
            SelectTypeParameters=CR_Core_Memory
            SlurmctldPort=\(port)
            SlurmdPort=\(port + 1)
            SlurmctldPidFile=\(directory)/slurmctld.pid
            SlurmdPidFile=\(directory)/slurmd.pid
            SlurmdSpoolDir=\(directory)/spool
            StateSaveLocation=\(directory)/state
            SlurmctldLogFile=\(directory)/log/slurmctld.log
            SlurmdLogFile=\(directory)/log/slurmd.log
            MpiDefault=none
            SwitchType=switch/none
            JobAcctGatherType=jobacct_gather/none
            AccountingStorageType=accounting_storage/none
            JobCompType=jobcomp/none
            ReturnToService=2
            SchedulerType=sched/backfill
            NodeName=\(host) CPUs=\(cpus) RealMemory=\(memory) State=UNKNOWN
            PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP

            """
        try conf.write(toFile: configuration, atomically: true, encoding: .utf8)
        // Each daemon detaches and writes its pid file (a child this process waited for would keep
        // Foundation's process monitor busy, and no later program run here would be reaped).
        try launch("/usr/sbin/munged", ["--force", "--socket=\(directory)/munge/munge.socket", "--pid-file=\(directory)/munge/munged.pid",
                                        "--log-file=\(directory)/munge/munged.log", "--seed-file=\(directory)/munge/seed"],
                   pidFile: directory + "/munge/munged.pid")
        try launch("/usr/sbin/slurmctld", ["-f", configuration], pidFile: directory + "/slurmctld.pid")
        try launch("/usr/sbin/slurmd", ["-f", configuration, "-N", host], pidFile: directory + "/slurmd.pid")
        try waitFor("the node to be idle", seconds: 60) { (try? self.run("/usr/bin/sinfo", ["-h", "-o", "%T"]))?.hasPrefix("idle") == true }
    }

    /// Starts a daemon that detaches, and remembers its pid from its pid file.
    private func launch(_ executable: String, _ arguments: [String], pidFile: String) throws {
        // Without pipes: a daemon that keeps its parent's standard error open would keep a reader waiting.
        setenv("SLURM_CONF", configuration, 1)
        let log = directory + "/log/" + URL(fileURLWithPath: executable).lastPathComponent + ".out"
        var starter = try ChildProcess.start(executable, arguments, output: log)
        try waitFor("\(executable) to detach", seconds: 30) { !starter.isRunning() }
        guard starter.status == 0 else {
            throw ClusterError(description: "\(executable) did not start (status \(starter.status ?? -1)): see \(log)")
        }
        var pid: pid_t?
        try waitFor("\(pidFile)", seconds: 20) {
            pid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return pid.map { kill($0, 0) == 0 } ?? false
        }
        daemons.append(pid!)
    }

    func waitFor(_ what: String, seconds: Double, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            guard Date() < deadline else { throw ClusterError(description: "timed out waiting for \(what); logs in \(directory)/log") }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// Runs a Slurm command against this cluster; its standard output.
    @discardableResult
    func run(_ executable: String, _ arguments: [String]) throws -> String {
        let result = try runProgram(executable, arguments, environment: environment)
        guard result.status == 0 else { throw ClusterError(description: "\(executable) \(arguments): \(result.stderr)") }
        return result.stdout
    }

    /// The array's tasks still queued or running, by index, with their state.
    func tasks(job: String) throws -> [Int: String] {
        var tasks: [Int: String] = [:]
        for line in try run("/usr/bin/squeue", ["-h", "--array", "-j", job, "-o", "%K %T"]).split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, let index = Int(fields[0]) { tasks[index] = String(fields[1]) }
        }
        return tasks
    }

    func stop() {
        for pid in daemons.reversed() {
            kill(pid, SIGTERM)
            for _ in 0..<200 where kill(pid, 0) == 0 { usleep(50_000) }
            if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        }
        daemons = []
    }

    deinit { stop() }

    struct ClusterError: Error, CustomStringConvertible {
        let description: String
    }
}
