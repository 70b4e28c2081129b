// The real REPL under tmux, as a person uses it: completion, history across restarts, Ctrl-C.

import Foundation
import BanditTestSupport
import Testing

/// A tmux server of its own (its own socket), running one REPL in a fixed-size window.
struct Tmux {
    let socket = "bandit-test-\(UUID().uuidString.prefix(8))"

    static var available: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") }

    /// Runs a tmux command and waits for it; its output when `capture`. (posix_spawn and waitpid
    /// directly: the tmux client forks the server, which Foundation's Process handles poorly.)
    @discardableResult
    func run(_ arguments: [String], capture: Bool = true) throws -> String {
        let argv = ["/usr/bin/tmux", "-L", socket] + arguments
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw POSIXError(.EMFILE) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if capture {
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        // A clean signal state for tmux and the REPL it starts: nothing blocked, SIGINT default.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), defaults = sigset_t()
        sigemptyset(&empty)
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, cArguments, environ)
        close(fds[1])
        defer { close(fds[0]) }
        guard spawned == 0 else { throw POSIXError(.ENOENT) }
        var output = Data()
        if capture {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(fds[0], &buffer, buffer.count)
                if count <= 0 { break }
                output.append(contentsOf: buffer[0..<count])
            }
        }
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        return String(decoding: output, as: UTF8.self)
    }

    func start(_ command: String) throws {
        try run(["new-session", "-d", "-x", "120", "-y", "40", "-s", "repl", command], capture: false)
    }

    func keys(_ keys: String...) throws { try run(["send-keys", "-t", "repl"] + keys, capture: false) }

    func screen() throws -> String { try run(["capture-pane", "-p", "-t", "repl"]) }

    /// Waits (up to `seconds`) until the screen satisfies `condition`; returns the last screen.
    /// (capture-pane trims trailing blanks: match `bandit>`, not `bandit> `.)
    func await(_ seconds: Double = 15, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var text = try screen()
        while !condition(text) && Date() < deadline {
            usleep(50_000)
            text = try screen()
        }
        return text
    }

    func stop() { _ = try? run(["kill-server"], capture: false) }
}

@Suite("The REPL under tmux", .enabled(if: Tmux.available), .serialized)
struct ReplTests {
    @Test("Tab completes 'st' to its candidates; history survives a restart; Ctrl-C stops a long runs")
    func interactive() throws {
        let directory = temporaryDirectory()
        let bandit = try banditExecutable()
        let tmux = Tmux()
        defer {
            tmux.stop()
            stopDaemon(directory + "/state")
        }
        let command = "env -u NO_COLOR TERM=xterm HOME=\(directory) \(bandit) --state-dir \(directory)/state"
        try tmux.start(command)
        var screen = try tmux.await { $0.contains("bandit>") }
        #expect(screen.contains("type 'help' for the commands"))

        // Completion: a unique prefix completes, an ambiguous one lists its candidates on a second Tab.
        try tmux.keys("st", "Tab", "Tab")
        screen = try tmux.await { $0.contains("stats") && $0.contains("step") }
        #expect(screen.contains("stats") && screen.contains("step"), "\(screen)")
        try tmux.keys("C-u", "new demo rng numpy seed 17", "Enter")
        screen = try tmux.await { $0.contains("bandit demo>") }
        try tmux.keys("wor", "Tab", " feat", "Tab", "4 act", "Tab", "6", "Enter")
        screen = try tmux.await { $0.contains("d=4 features") }
        #expect(screen.contains("world: d=4 features (the constant included), K=6 posts"), "\(screen)")

        // Ctrl-C during a long `runs`: back at the prompt, the job stopped, its days kept.
        try tmux.keys("runs 200000 days 14", "Enter")
        usleep(700_000)
        try tmux.keys("C-c")
        screen = try tmux.await { $0.contains("stopped after") }
        #expect(screen.contains("'resume 1' continues it"), "\(screen)")
        try tmux.keys("jobs", "Enter")
        screen = try tmux.await { $0.contains("cancelled") }
        #expect(screen.contains("cancelled"), "\(screen)")
        // Ctrl-C at the prompt clears the line and keeps the REPL.
        try tmux.keys("this line is dropped", "C-c")
        screen = try tmux.await { $0.components(separatedBy: "bandit demo>").count > 5 }
        #expect(!screen.contains("bandit demo> this line is dropped\nbandit demo> this"), "\(screen)")
        try tmux.keys("quit", "Enter")
        usleep(300_000)

        // A new session: in the experiment used last, with the history still there (Up recalls the last commands).
        try tmux.start(command)
        screen = try tmux.await { $0.contains("bandit demo>") }
        #expect(screen.contains("bandit demo>"), "\(screen)")
        try tmux.keys("Up", "Up")
        screen = try tmux.await { $0.contains("bandit demo> jobs") }
        #expect(screen.contains("bandit demo> jobs"), "\(screen)")
        let history = try String(contentsOfFile: directory + "/state/history", encoding: .utf8)
        #expect(history.contains("new demo rng numpy seed 17") && !history.contains("this line is dropped"))
        try tmux.keys("C-d")
    }

    @Test("the daemon killed under the REPL: the next command says so, the one after runs in the same experiment")
    func reconnect() throws {
        let directory = temporaryDirectory(), state = directory + "/state"
        let bandit = try banditExecutable()
        let tmux = Tmux()
        defer {
            tmux.stop()
            stopDaemon(state)
        }
        try tmux.start("env TERM=xterm HOME=\(directory) \(bandit) --state-dir \(state)")
        _ = try tmux.await { $0.contains("bandit>") }
        try tmux.keys("new first; new second; world features 3 actions 4", "Enter")
        _ = try tmux.await { $0.contains("bandit second>") }
        let pid = try #require(daemonPID(state))
        kill(pid, SIGKILL)
        for _ in 0..<250 where kill(pid, 0) == 0 { usleep(20_000) }
        try tmux.keys("settings", "Enter")
        var screen = try tmux.await { $0.contains("lost the daemon") }
        #expect(screen.contains("lost the daemon"), "\(screen)")
        try tmux.keys("settings", "Enter")
        screen = try tmux.await { $0.contains("d=3 K=4") }
        #expect(screen.contains("experiment second") && screen.contains("d=3 K=4"), "\(screen)")
        #expect(daemonPID(state) != pid)
        // history is the REPL's own: numbered, oldest first, itself included.
        try tmux.keys("history 3", "Enter")
        screen = try tmux.await { $0.contains("4  history 3") }
        #expect(screen.contains("    2  settings\n    3  settings\n    4  history 3"), "\(screen)")
        try tmux.keys("C-d")
    }
}
