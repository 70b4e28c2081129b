// bandit and banditd find the same state directory from the same settings, and banditd says only what is true.

import BanditCommands
@testable import BanditServer
import BanditTestSupport
import Foundation
import Testing

/// Runs a program with exactly `environment` (plus PATH); its status and output.
private func run(_ executable: String, _ arguments: [String], environment: [String: String], in directory: String)
    throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.environment = environment.merging(["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]) { a, _ in a }
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let out = output.fileHandleForReading.readDataToEndOfFile(), err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
}

@Suite("Settings", .serialized)
struct SettingsTests {
    @Test("the state directory: option, then bandit.conf, then BANDIT_STATE_DIR, then XDG_STATE_HOME (empty is unset), then ~")
    func stateDirectoryOrder() throws {
        func resolved(_ overrides: [(String, String)], _ environment: [String: String]) throws -> String {
            try Settings.load(config: nil, overrides: overrides, environment: environment).stateDirectory(environment: environment)
        }
        let config = temporaryDirectory() + "/bandit.conf"
        try "state_dir = /from/config\n".write(toFile: config, atomically: true, encoding: .utf8)
        var settings = try Settings.load(config: config, overrides: [], environment: [:])
        #expect(settings.stateDirectory(environment: ["BANDIT_STATE_DIR": "/from/env"]) == "/from/config")
        settings = try Settings.load(config: config, overrides: [("state_dir", "/from/option")], environment: [:])
        #expect(settings.stateDirectory(environment: [:]) == "/from/option")
        #expect(try resolved([], ["BANDIT_STATE_DIR": "/from/env", "XDG_STATE_HOME": "/xdg", "XDG_CONFIG_HOME": "/none"]) == "/from/env")
        #expect(try resolved([], ["BANDIT_STATE_DIR": "", "XDG_STATE_HOME": "/xdg", "XDG_CONFIG_HOME": "/none"]) == "/xdg/bandit")
        let fallback = try resolved([], ["BANDIT_STATE_DIR": "", "XDG_STATE_HOME": "", "XDG_CONFIG_HOME": "/none"])
        #expect(fallback == NSHomeDirectory() + "/.local/state/bandit" && !fallback.hasPrefix("/bandit"), "\(fallback)")
        #expect(throws: SettingsError.self) { try Settings.load(config: nil, overrides: [("state_dir", "")], environment: [:]) }
    }

    @Test("bandit reads state_dir from bandit.conf and starts its daemon there; banditd on the same settings finds it")
    func clientAndDaemonAgree() throws {
        let directory = temporaryDirectory(), state = directory + "/configured"
        try FileManager.default.createDirectory(atPath: directory + "/config/bandit", withIntermediateDirectories: true)
        try "state_dir = \(state)\n".write(toFile: directory + "/config/bandit/bandit.conf", atomically: true, encoding: .utf8)
        let environment = ["HOME": directory, "XDG_CONFIG_HOME": directory + "/config", "XDG_STATE_HOME": ""]
        defer { stopDaemon(state) }
        let client = try run(try builtExecutable("bandit"), ["-c", "new e; experiments"], environment: environment, in: directory)
        #expect(client.status == 0, "\(client.stderr)")
        #expect(FileManager.default.fileExists(atPath: state + "/bandit.db"), "bandit did not use state_dir")
        let pid = try #require(daemonPID(state))
        // banditd with the same settings: the directory is in use by the daemon bandit started.
        let second = try run(try builtExecutable("banditd"), [], environment: environment, in: directory)
        #expect(second.status == 1, "\(second.stdout)")
        #expect(second.stderr.contains("in use by another bandit daemon (pid \(pid))"), "\(second.stderr)")
        #expect(!second.stdout.contains("serving"), "banditd claimed a success it did not have: \(second.stdout)")
        #expect(daemonPID(state) == pid && kill(pid, 0) == 0)
        // A typo in bandit.conf stops bandit too, with the file and line.
        try "state_dir = \(state)\nthreds = 2\n".write(toFile: directory + "/config/bandit/bandit.conf", atomically: true, encoding: .utf8)
        let typo = try run(try builtExecutable("bandit"), ["-c", "experiments"], environment: environment, in: directory)
        #expect(typo.status == 1 && typo.stderr.contains("bandit.conf:2: unknown setting 'threds'"), "\(typo.stderr)")
    }

    @Test("max_connections and hello_timeout: defaults 64 and 5 s, values in range taken, others refused with the range")
    func connectionSettings() throws {
        let defaults = try Settings.load(config: nil, overrides: [], environment: ["XDG_CONFIG_HOME": "/none"])
        #expect(defaults.maxConnections == 64 && defaults.helloTimeout == .seconds(5))
        let set = try Settings.load(config: nil, overrides: [("max_connections", "3"), ("hello_timeout", "0.25")], environment: [:])
        #expect(set.maxConnections == 3 && set.helloTimeout == .milliseconds(250))
        for (key, value, sentence) in [("max_connections", "0", "max_connections must be 1 to 10000, not '0'"),
                                       ("max_connections", "lots", "max_connections must be 1 to 10000"),
                                       ("hello_timeout", "0", "hello_timeout must be 0.1 to 3600 seconds, not '0'"),
                                       ("hello_timeout", "nan", "hello_timeout must be 0.1 to 3600 seconds")] {
            #expect {
                _ = try Settings.load(config: nil, overrides: [(key, value)], environment: [:])
            } throws: { error in
                "\(error)".contains("command line: \(sentence)")
            }
        }
    }
}

@Suite("Resource settings")
struct ResourceSettingsTests {
    @Test("memory_limit and disk_limit: sizes in powers of 1000 or 1024, auto, anything else refused with the file and line")
    func limits() throws {
        #expect(Settings.bytes("8GB") == 8_000_000_000)
        #expect(Settings.bytes("512 M") == 512_000_000)
        #expect(Settings.bytes("1.5GiB") == 1_610_612_736)
        #expect(Settings.bytes("1000000") == 1_000_000)
        #expect(Settings.bytes("lots") == nil && Settings.bytes("8 parsecs") == nil && Settings.bytes("1e400") == nil)
        var settings = Settings()
        try settings.set("memory_limit", "2GB", source: "test")
        try settings.set("disk_limit", "auto", source: "test")
        #expect(settings.resourceLimits() == ResourceLimits(memory: 2_000_000_000, disk: nil))
        #expect(throws: SettingsError.self) { try settings.set("disk_limit", "0", source: "test") }
        do {
            try settings.set("memory_limit", "plenty", source: "bandit.conf:7")
            Issue.record("'plenty' was taken")
        } catch {
            #expect(error.description == "bandit.conf:7: memory_limit must be auto or a size such as 8GB or 512MB, not 'plenty'")
        }
        // auto: half of what the machine (or its cgroup) gives this process.
        let automatic = Settings().resourceLimits()
        #expect(automatic.memory == Settings.machineMemory() / 2 && automatic.memory > 0 && automatic.disk == nil)
    }
}
