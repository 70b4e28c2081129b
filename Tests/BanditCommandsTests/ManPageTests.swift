// The manual page is generated from the command table; the committed one must be the generated one.

@testable import BanditCommands
import Foundation
import BanditTestSupport
import Testing

@Suite("Manual page")
struct ManPageTests {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../man/bandit.1").path

    @Test("man/bandit.1 is what the command table generates (run 'make man' after changing a command)")
    func upToDate() throws {
        let committed = try String(contentsOfFile: Self.path, encoding: .utf8)
        #expect(committed == ManPage.bandit(), "man/bandit.1 is stale: run 'make man'")
    }

    @Test("every command of the table is documented with its synopsis")
    func everyCommand() throws {
        let page = ManPage.bandit()
        for command in Command.table {
            #expect(page.contains(".B \(ManPage.escape(command.synopsis))\n"), "\(command.name)")
        }
        for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "FILES", "ENVIRONMENT", "EXIT STATUS", "EXAMPLES"] {
            #expect(page.contains(".SH \(section)\n") || page.contains(".SH \"\(section)\"\n"), "\(section)")
        }
    }

    @Test("groff -ww -z -man reports nothing", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/groff")))
    func groffIsSilent() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/groff")
        process.arguments = ["-ww", "-z", "-man", Self.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(output.isEmpty, "\(output)")
    }
}
