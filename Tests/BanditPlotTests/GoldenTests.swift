// Byte-for-byte guards on both renderers: every case in GoldenCases must reproduce its file under Golden/.
//
// The files were written by the renderers as they stood before their drawing code was split into named
// steps; a change that is meant to alter the drawing rewrites them with
//   BANDIT_WRITE_GOLDEN=1 swift test --filter GoldenTests
// and the diff of Golden/ then shows, file by file, what moved.

import Foundation
import Testing

@Suite("Golden outputs")
struct GoldenTests {
    /// The source folder, written to only when regenerating.
    static let sourceFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let writing = ProcessInfo.processInfo.environment["BANDIT_WRITE_GOLDEN"] == "1"

    @Test("each output matches its golden file byte for byte", arguments: GoldenCases.all)
    func matches(_ golden: GoldenCase) throws {
        let output = golden.render()
        if Self.writing {
            try FileManager.default.createDirectory(at: Self.sourceFolder, withIntermediateDirectories: true)
            try Data(output.utf8).write(to: Self.sourceFolder.appendingPathComponent(golden.file))
            return
        }
        let url = try #require(Bundle.module.url(forResource: golden.file, withExtension: nil, subdirectory: "Golden"),
                               "no golden file \(golden.file)")
        let expected = try Data(contentsOf: url)
        guard Data(output.utf8) != expected else { return }
        let actual = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(golden.file)
        try? Data(output.utf8).write(to: actual)
        let difference = Self.firstDifference(output, String(decoding: expected, as: UTF8.self))
        Issue.record("\(golden.file) differs \(difference); output written to \(actual.path)")
    }

    @Test("every file under Golden/ belongs to a case")
    func noStrayFiles() throws {
        guard !Self.writing else { return }
        let folder = try #require(Bundle.module.url(forResource: "Golden", withExtension: nil))
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(Set(files) == Set(GoldenCases.all.map(\.file)))
        #expect(GoldenCases.all.count == Set(GoldenCases.all.map(\.file)).count, "two cases share a file name")
    }

    /// "at line N: got …, expected …", for a failure message a person can act on.
    static func firstDifference(_ actual: String, _ expected: String) -> String {
        let got = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(got.count, want.count) {
            let a = index < got.count ? String(got[index]) : "<none>"
            let b = index < want.count ? String(want[index]) : "<none>"
            if a != b { return "at line \(index + 1): got \(a.debugDescription), expected \(b.debugDescription)" }
        }
        return "(same lines, different bytes)"
    }
}
