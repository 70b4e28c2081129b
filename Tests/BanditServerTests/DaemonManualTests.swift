// banditd(8) and etc/bandit.conf against the daemon's real options and settings, as bandit(1) is checked against its table.

@testable import BanditServer
import BanditTestSupport
import Foundation
import Testing

@Suite("banditd manual")
struct DaemonManualTests {
    /// The long options a text names, `--state-dir` style (roff's `\-\-state\-dir` included).
    static func options(in text: String) -> Set<String> {
        let plain = text.replacing("\\-", with: "-")
        return Set(plain.matches(of: /--[a-z][a-z-]*/).map { String($0.output) })
    }

    @Test("every option banditd takes is in banditd(8)'s OPTIONS, and every one there is one it takes")
    func optionsMatch() throws {
        let help = try runProgram(try builtExecutable("banditd"), ["--help"])
        #expect(help.status == 0)
        let taken = Self.options(in: help.stdout).subtracting(["--help"])
        let manual = try String(contentsOfFile: packageRoot + "/man/banditd.8", encoding: .utf8)
        let section = try #require(manual.firstRange(of: ".SH OPTIONS").flatMap { start in
            manual[start.upperBound...].firstRange(of: "\n.SH ").map { String(manual[start.upperBound..<$0.lowerBound]) }
        })
        #expect(Self.options(in: section) == taken, "banditd --help: \(taken.sorted()); banditd.8: \(Self.options(in: section).sorted())")
        #expect(taken.count >= 7)
    }

    @Test("every setting bandit.conf can hold is in etc/bandit.conf, and every one there is accepted")
    func settingsMatch() throws {
        let example = try String(contentsOfFile: packageRoot + "/etc/bandit.conf", encoding: .utf8)
        let keys = Set(example.split(separator: "\n").compactMap { line -> String? in
            let text = line.hasPrefix("# ") ? line.dropFirst(2) : line[...]
            guard let match = text.wholeMatch(of: /([a-z_]+) = \S.*/) else { return nil }
            return String(match.output.1)
        })
        #expect(keys == Set(Settings.keys), "\(keys.sorted())")
        // Uncommented, every example value is taken as it stands.
        let uncommented = example.split(separator: "\n").map { line in
            line.wholeMatch(of: /# [a-z_]+ = \S.*/) != nil ? String(line.dropFirst(2)) : String(line)
        }
        let file = temporaryDirectory() + "/bandit.conf"
        try uncommented.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let settings = try Settings.load(config: file, overrides: [], environment: [:])
        #expect(settings.threads == 2 && settings.stateDirectory == NSHomeDirectory() + "/.local/state/bandit")
    }
}
