// The settings of both programs, resolved one way: the command line, bandit.conf, the environment, the defaults.

import BanditCommands
import BanditStore
import Foundation
import Logging

/// A setting that cannot be taken, in a sentence naming where it came from.
public struct SettingsError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// What `bandit.conf` and the options of `bandit` and `banditd` set. Both programs resolve them with
/// `Settings.load`, so that they find the same state directory.
public struct Settings: Sendable {
    public var stateDirectory: String?
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    public var autoResume = true
    public var logLevel = Logger.Level.info
    public var synchronous = StoreOptions.Synchronous.normal
    /// The memory that jobs may take together; nil: half the machine's (or the cgroup's) memory.
    public var memoryLimit: Int?
    /// The bytes one job may write; nil: half the free space when it starts.
    public var diskLimit: Int?
    /// Clients served at once; one more gets "too many clients" and is closed.
    public var maxConnections = 64
    /// How long a new connection has to say hello before it is closed.
    public var helloTimeout = Duration.seconds(5)
    /// How long the daemon stays with no client connected and no job running before it stops by
    /// itself; nil: never (`idle_exit = 0`).
    public var idleExit: Duration? = .seconds(600)

    public init() {}

    /// The configuration file: its settings, then `overrides` (`key`, `value`; from the command
    /// line). `config` is a file named on the command line; without one,
    /// $XDG_CONFIG_HOME/bandit/bandit.conf (else ~/.config/bandit/bandit.conf) is read if it exists.
    public static func load(config: String?, overrides: [(String, String)], environment: [String: String]) throws(SettingsError) -> Settings {
        var settings = Settings()
        if let config {
            try settings.apply(configFile: config)
        } else {
            let file = (nonEmpty(environment["XDG_CONFIG_HOME"]) ?? NSHomeDirectory() + "/.config") + "/bandit/bandit.conf"
            if FileManager.default.fileExists(atPath: file) { try settings.apply(configFile: file) }
        }
        for (key, value) in overrides { try settings.set(key, value, source: "command line") }
        return settings
    }

    /// The state directory: the setting (command line or configuration), else $BANDIT_STATE_DIR,
    /// else $XDG_STATE_HOME/bandit, else ~/.local/state/bandit. An empty variable counts as unset.
    public func stateDirectory(environment: [String: String]) -> String {
        stateDirectory
            ?? Self.nonEmpty(environment["BANDIT_STATE_DIR"])
            ?? Self.nonEmpty(environment["XDG_STATE_HOME"]).map { $0 + "/bandit" }
            ?? NSHomeDirectory() + "/.local/state/bandit"
    }

    /// `key = value` lines; `#` starts a comment. Unknown keys are refused, to catch typos.
    mutating func apply(configFile path: String) throws(SettingsError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SettingsError(description: "cannot read \(path): \(fileErrorReason(error, path: path))")
        }
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0].trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty else { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { throw SettingsError(description: "\(path):\(number + 1): expected key = value") }
            try set(parts[0], parts[1], source: "\(path):\(number + 1)")
        }
    }

    /// Every key, as bandit.conf spells it.
    public static let keys = [
        "state_dir", "threads", "auto_resume", "log_level", "synchronous", "max_connections", "hello_timeout", "memory_limit",
        "disk_limit", "idle_exit",
    ]

    mutating func set(_ key: String, _ value: String, source: String) throws(SettingsError) {
        func refuse(_ sentence: String) -> SettingsError { SettingsError(description: "\(source): \(sentence)") }
        switch key {
        case "state_dir":
            guard !value.isEmpty else { throw refuse("state_dir needs a directory") }
            stateDirectory = (value as NSString).expandingTildeInPath
        case "threads":
            guard let n = Int(value), (1...1024).contains(n) else { throw refuse("threads must be 1 to 1024, not '\(echo(value))'") }
            threads = n
        case "auto_resume":
            guard ["yes", "no", "true", "false"].contains(value) else { throw refuse("auto_resume must be yes or no") }
            autoResume = value == "yes" || value == "true"
        case "log_level":
            guard let level = Logger.Level(rawValue: value) else { throw refuse("unknown log level '\(echo(value))'") }
            logLevel = level
        case "synchronous":
            guard let mode = StoreOptions.Synchronous(rawValue: value.uppercased()), value == value.lowercased() else {
                throw refuse("synchronous must be normal or full")
            }
            synchronous = mode
        case "memory_limit", "disk_limit":
            let bytes: Int?
            if value == "auto" {
                bytes = nil
            } else {
                guard let parsed = Self.bytes(value), parsed > 0 else {
                    throw refuse("\(key) must be auto or a size such as 8GB or 512MB, not '\(echo(value))'")
                }
                bytes = parsed
            }
            if key == "memory_limit" { memoryLimit = bytes } else { diskLimit = bytes }
        case "max_connections":
            guard let n = Int(value), Self.connectionRange.contains(n) else {
                throw refuse("max_connections must be 1 to \(Self.connectionRange.upperBound), not '\(echo(value))'")
            }
            maxConnections = n
        case "hello_timeout":
            guard let seconds = Double(value), Self.helloRange.contains(seconds) else {
                throw refuse("hello_timeout must be 0.1 to 3600 seconds, not '\(echo(value))'")
            }
            helloTimeout = .milliseconds(Int((seconds * 1000).rounded()))
        case "idle_exit":
            guard let seconds = Self.seconds(value), seconds == 0 || Self.idleRange.contains(seconds) else {
                throw refuse("idle_exit must be 0 (never) or 0.1 s to 30 days, in seconds or with a unit (90, 90s, 10min, 2h), not '\(echo(value))'")
            }
            idleExit = seconds == 0 ? nil : .milliseconds(Int((seconds * 1000).rounded()))
        default: throw refuse("unknown setting '\(echo(key))'")
        }
    }

    /// Each connection has a thread: thousands are allowed, an unbounded number is not.
    static let connectionRange = 1...10_000
    /// Long enough for a loaded machine to send a hello, short enough that idle sockets do not pile up.
    static let helloRange = 0.1...3600.0

    /// Short idle times are for tests; a month is longer than anyone waits for a daemon to leave.
    static let idleRange = 0.1...(30 * 86_400.0)

    /// "600", "90s", "10min", "10m", "2h", "1d": seconds.
    static func seconds(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        guard let number = Double(digits), number.isFinite else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let scales: [String: Double] = [
            "": 1, "s": 1, "sec": 1, "second": 1, "seconds": 1, "m": 60, "min": 60, "minute": 60, "minutes": 60,
            "h": 3600, "hour": 3600, "hours": 3600, "d": 86_400, "day": 86_400, "days": 86_400,
        ]
        return scales[unit].map { number * $0 }
    }

    /// The limits work is checked against: the settings, else what the machine has.
    public func resourceLimits() -> ResourceLimits {
        ResourceLimits(memory: memoryLimit ?? Self.machineMemory() / 2, disk: diskLimit)
    }

    /// The memory this process may use: the machine's, or its cgroup's limit when lower.
    static func machineMemory() -> Int {
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        // cgroup v2 says "max" when unlimited; an unreadable file means no cgroup limit.
        guard let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
              let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return physical }
        return min(physical, limit)
    }

    /// "8GB", "512M", "1.5 GiB", "1000000": bytes (K, M, G, T are powers of 1000; KiB, MiB, … of 1024).
    static func bytes(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        guard let number = Double(digits), number.isFinite else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let powers: [String: Double] = [
            "": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
            "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824, "tib": 1_099_511_627_776,
        ]
        guard let scale = powers[unit], number * scale < Double(Int.max) else { return nil }
        return Int(number * scale)
    }

    private static func nonEmpty(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }
}
