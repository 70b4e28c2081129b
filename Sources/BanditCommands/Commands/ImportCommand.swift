// import: real logs from a CSV file, as an experiment without a world that `evaluate` reads.

import BanditCore
import BanditStore
import Foundation

enum ImportCommand {
    enum What: String, CaseIterable, Sendable { case logs }
    enum As: String, CaseIterable, Sendable { case `as` }
    static let what = Argument<What>.choice("logs", help: "what the file holds: logged decisions")
    static let file = Argument<String>.word("FILE", .inputFile, help: "a CSV file, relative to the client's directory")
    static let into = Argument<As>.choice("as", help: "then the new experiment's name")
    static let name = Argument<String>.word("NAME", .name, help: "the new experiment")

    /// The largest file an import reads.
    static let maximumBytes = 1 << 30

    static let command = Command(
        "import", arguments: [what, file, into, name],
        summary: "create an experiment from logged decisions in a CSV file",
        details: """
            Reads logged decisions from FILE into a new experiment NAME (which becomes the current one), \
            without a world: 'evaluate TARGET' then estimates policies from them (no truth column, since \
            nothing is simulated). The header names the columns: action (a post, from 0), reward (a finite \
            number), propensity (the logging policy's probability of that post, above 0 and at most 1), and \
            either context (the bit mask, bit 0 the constant feature, set) or binary feature columns x1..xm \
            (m ≤ 63; feature 0 is the constant); optionally day (from 1, never decreasing), which 'evaluate' \
            splits the logs by ('train K' fits on days 1..K). The posts are 0 to the largest action, the \
            features 1 + m (or up to the highest bit of the contexts). A bad row refuses the file with the \
            line numbers of the first bad rows, and nothing is imported: the import is one transaction. \
            The logging policy's support is unknown, so IPS, SNIPS and DR assume every post could be logged.
            """,
        examples: ["import logs obd-random-all.csv as obd"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        let path = call[Self.file], name = call[Self.name]
        // The store checks again in the transaction; this saves reading a large file for nothing.
        if try call.workspace.store.experiment(named: name) != nil {
            throw CommandError.failed("an experiment named '\(name)' exists already: 'drop \(name)' first, or import as another name")
        }
        let url = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: call.session.workingDirectory, isDirectory: true))
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        } catch {
            throw CommandError.failed("cannot read \(echo(path)): no such file")
        }
        guard attributes[.type] as? FileAttributeType == .typeRegular else {
            throw CommandError.failed("cannot read \(echo(path)): not a regular file")
        }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        guard size <= maximumBytes else {
            throw CommandError.failed("\(echo(path)) is \(formatBytes(size)): an import reads at most \(formatBytes(maximumBytes))")
        }
        // Reading holds the bytes, the text and the parsed decisions (32 bytes for a row of at least
        // ten); the store adds about 31 bytes per decision. Both at most about three times the file.
        try call.workspace.checkBudget(Footprint(memory: Footprint.process + 3 * size, disk: 3 * size, largestValue: 0),
                                       work: "import logs \(echo(path))")
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw CommandError.failed("cannot read \(echo(path)): \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CommandError.failed("\(echo(path)) is not UTF-8 text: a CSV file is expected")
        }
        let logs: ImportedLogs
        do {
            logs = try ImportedLogs.parse(csv: text)
        } catch {
            throw CommandError.failed("\(echo(path)) refused, nothing imported: \(error.description)")
        }
        call.effects = [.importLogs(logs, file: path, name: name), .use(name)]
        return .empty
    }
}
