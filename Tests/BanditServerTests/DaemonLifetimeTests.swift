// When banditd is there: help needs none, an idle one leaves by itself (idle_exit), a busy one stays.

import BanditCommands
@testable import BanditServer
import BanditTestSupport
import Foundation
import Testing

/// A configuration directory whose bandit.conf holds `text`, for $XDG_CONFIG_HOME.
private func configHome(_ text: String) throws -> String {
    let home = temporaryDirectory("config")
    try FileManager.default.createDirectory(atPath: home + "/bandit", withIntermediateDirectories: true)
    try text.write(toFile: home + "/bandit/bandit.conf", atomically: true, encoding: .utf8)
    return home
}

/// Waits until the process is gone; false if it is still there after `seconds`.
private func waitGone(_ pid: pid_t, seconds: Double) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while kill(pid, 0) == 0 {
        if Date() > deadline { return false }
        usleep(20_000)
    }
    return true
}

/// What a clean stop leaves: the database without its `-wal`, no socket, no pid file.
private func expectCleanStop(_ state: String, sourceLocation: SourceLocation = #_sourceLocation) {
    for name in ["bandit.db-wal", "banditd.sock", "banditd.pid"] {
        #expect(!FileManager.default.fileExists(atPath: state + "/" + name), "\(name) left", sourceLocation: sourceLocation)
    }
    #expect(FileManager.default.fileExists(atPath: state + "/bandit.db"), sourceLocation: sourceLocation)
}

@Suite("daemon lifetime", .serialized)
struct DaemonLifetimeTests {
    @Test("help, --help, --man and --version start no daemon and create no state directory")
    func helpWithoutDaemon() throws {
        let bandit = try builtExecutable("bandit")
        let state = temporaryDirectory() + "/fresh/state"
        let script = temporaryDirectory() + "/help.bandit"
        try "# only help here\nhelp\n\nhelp drop; he new\n".write(toFile: script, atomically: true, encoding: .utf8)
        let help = try runProgram(bandit, ["--state-dir", state, "-c", "help new"])
        #expect(help.status == 0 && help.stdout.contains("usage: new NAME"), "\(help)")
        let both = try runProgram(bandit, ["--state-dir", state, "-c", "help; help drop"])
        #expect(both.status == 0 && both.stdout.contains("commands (") && both.stdout.contains("usage: drop NAME"), "\(both)")
        let scripted = try runProgram(bandit, ["--state-dir", state, script])
        #expect(scripted.status == 0 && scripted.stdout.contains("usage: new NAME"), "\(scripted)")
        let piped = try runProgram(bandit, ["--state-dir", state], input: "help stats\n")
        #expect(piped.status == 0 && piped.stdout.contains("usage: stats"), "\(piped)")
        let unknown = try runProgram(bandit, ["--state-dir", state, "-c", "help bogus"])
        #expect(unknown.status == 1 && unknown.stderr.contains("unknown command: bogus"), "\(unknown)")
        for option in ["--help", "--man", "--version"] {
            #expect(try runProgram(bandit, ["--state-dir", state, option]).status == 0)
        }
        #expect(!FileManager.default.fileExists(atPath: (state as NSString).deletingLastPathComponent), "help made the state directory")
        // The first line that needs the daemon makes both.
        let real = try runProgram(bandit, ["--state-dir", state, "-c", "help; experiments"])
        defer { stopDaemon(state) }
        #expect(real.status == 0 && daemonPID(state) != nil, "\(real)")
    }

    @Test("bandit --version and banditd --version print the same version")
    func version() throws {
        let client = try runProgram(try builtExecutable("bandit"), ["--version"])
        let daemon = try runProgram(try builtExecutable("banditd"), ["--version"])
        #expect(client.status == 0 && daemon.status == 0)
        #expect(client.stdout == "bandit \(BanditVersion.number)\n" && daemon.stdout == "banditd \(BanditVersion.number)\n")
    }

    @Test("with idle_exit 1 s the daemon leaves after its last client, cleanly, and says why")
    func leavesWhenIdle() throws {
        let state = temporaryDirectory()
        let started = try runProgram(try builtExecutable("banditd"), ["--state-dir", state, "--idle-exit", "1"])
        #expect(started.status == 0, "\(started)")
        let pid = try #require(daemonPID(state))
        defer { if kill(pid, 0) == 0 { stopDaemon(state) } }
        let work = try runProgram(try builtExecutable("bandit"), ["--state-dir", state, "-c", "new e; world; step 2"])
        #expect(work.status == 0, "\(work)")
        #expect(waitGone(pid, seconds: 15), "the daemon is still there")
        expectCleanStop(state)
        let log = try String(contentsOfFile: state + "/banditd.log", encoding: .utf8)
        #expect(log.contains("no client and no job for 1 s (idle_exit): stopping") && log.contains("stopped"), "\(log)")
    }

    @Test("an idle REPL connection keeps the daemon; it leaves once the client has gone")
    func staysWhileConnected() throws {
        let state = temporaryDirectory()
        #expect(try runProgram(try builtExecutable("banditd"), ["--state-dir", state, "--idle-exit", "1"]).status == 0)
        let pid = try #require(daemonPID(state))
        defer { if kill(pid, 0) == 0 { stopDaemon(state) } }
        let client = Process()
        client.executableURL = URL(fileURLWithPath: try builtExecutable("bandit"))
        client.arguments = ["--state-dir", state]
        let feed = Pipe(), output = Pipe()
        client.standardInput = feed
        client.standardOutput = output
        client.standardError = FileHandle.nullDevice
        try client.run()
        feed.fileHandleForWriting.write(Data("new e\n".utf8))
        // The reply has come: the client is connected, and then says nothing for three idle times.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("experiment e") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += chunk
        }
        sleep(3)
        #expect(kill(pid, 0) == 0, "the daemon left while a client was connected")
        try feed.fileHandleForWriting.close()
        client.waitUntilExit()
        #expect(waitGone(pid, seconds: 15), "the daemon stayed after its client left")
        expectCleanStop(state)
    }

    @Test("a background job keeps the daemon until it has finished")
    func staysWhileJobRuns() throws {
        let state = temporaryDirectory()
        #expect(try runProgram(try builtExecutable("banditd"), ["--state-dir", state, "--idle-exit", "1"]).status == 0)
        let pid = try #require(daemonPID(state))
        defer { if kill(pid, 0) == 0 { stopDaemon(state) } }
        // Some seconds of work, left running by a client that leaves at once.
        let start = Date()
        let job = try runProgram(try builtExecutable("bandit"), ["--state-dir", state, "-c",
                                                                 "new e; world; set decisions 2000; runs 4 days 150 &"])
        #expect(job.status == 0, "\(job)")
        #expect(waitGone(pid, seconds: 300), "the daemon is still there")
        // Before the database is read here (a reader leaves a -wal and -shm of its own).
        expectCleanStop(state)
        // A daemon that left while the job ran would have stopped it: interrupted, not finished.
        #expect(jobFinished(state), "the job did not finish")
        #expect(Date().timeIntervalSince(start) > 1.5)
        let log = try String(contentsOfFile: state + "/banditd.log", encoding: .utf8)
        let finished = try #require(log.range(of: "[job 1] finished"), "\(log)")
        let leaving = try #require(log.range(of: "(idle_exit): stopping"), "\(log)")
        #expect(finished.lowerBound < leaving.lowerBound, "\(log)")
    }

    @Test("clients arriving as the idle timer fires are served, by this daemon or the next")
    func clientsAtTheTimer() throws {
        let state = temporaryDirectory()
        let home = try configHome("idle_exit = 0.3\n")
        let bandit = try builtExecutable("bandit")
        defer { stopDaemon(state) }
        #expect(try runProgram(bandit, ["--state-dir", state, "-c", "new e"], environment: ["XDG_CONFIG_HOME": home]).status == 0)
        var pids = Set<pid_t>()
        for attempt in 0..<16 {
            // Around the moment the daemon decides to leave: 0.3 s after the last client.
            usleep(UInt32(250_000 + attempt % 8 * 12_500))
            let result = try runProgram(bandit, ["--state-dir", state, "-c", "experiments"], environment: ["XDG_CONFIG_HOME": home])
            #expect(result.status == 0 && result.stdout.contains("default"), "attempt \(attempt): \(result)")
            if let pid = daemonPID(state) { pids.insert(pid) }
        }
        // The timer did fire in between (new daemons were started), and nobody was turned away.
        #expect(pids.count > 1, "one daemon served everything: the timer never fired")
    }
}
