// What a command hands back: text, tables, plots, or several of them. Rendering is the client's job.

import Foundation

/// A command's reply. Handlers build replies; they never print.
public enum Reply: Sendable, Equatable, Codable {
    case text(String)
    case table(Table)
    /// A chart of stored results (or the live run), for the terminal or for the SVG file the user named.
    case plot(PlotRequest)
    /// The contents of a file for the client to write at the path its user typed (only the client
    /// writes files, where its user is; a reply never names a path).
    case file(FileReply)
    case sequence([Reply])
    /// How the client writes the replies that follow, for the rest of its session (`format`).
    case format(OutputFormat)

    public static let empty = Reply.sequence([])

    /// Plain text, as a script or a pipe shows it.
    public var plainText: String {
        switch self {
        case .text(let text): text
        case .table(let table): table.rendered()
        case .plot(let request): request.fallbackTable.rendered()
        case .file(let file): file.summary
        case .sequence(let replies): replies.map(\.plainText).filter { !$0.isEmpty }.joined(separator: "\n")
        case .format: ""
        }
    }
}

/// A file a command made, for the client to write where its user said: what, and what it holds.
public struct FileReply: Sendable, Equatable, Codable {
    public var contents: String
    /// What the file holds, for the line shown once it is written: `42 rows` reads `wrote 42 rows to
    /// /home/me/curves.csv`.
    public var summary: String

    public init(contents: String, summary: String) {
        self.contents = contents
        self.summary = summary
    }
}

/// A table with a title line, column headers and rows of typed cells, aligned when rendered.
public struct Table: Sendable, Equatable, Codable {
    public enum Alignment: String, Sendable, Codable { case left, right }

    public var title: String?
    public var headers: [String]
    public var alignments: [Alignment]
    public var rows: [[Cell]]
    /// Each column's names in machine output (`--format json|csv`): one, or two for a column of
    /// pairs (`mean ± se` is `greedy` and `greedy se`; `3/14 days` is `days done` and `days total`).
    public var fields: [[String]]
    /// Lines printed after the rows (e.g. an asymptote).
    public var footer: [String]
    /// Set when this table is one piece of a larger one, cut by `chunked(rows:)` to be sent in parts.
    public var chunk: Chunk?

    /// Where a piece sits in the table it was cut from, so that the pieces print as the whole would.
    public struct Chunk: Sendable, Equatable, Codable {
        /// The column widths of the whole table: a piece's own widest cells would misalign it.
        public var widths: [Int]
        /// Only the first piece prints the title and the headers.
        public var showsHeading: Bool
        /// Only the last piece prints the footer.
        public var showsFooter: Bool

        public init(widths: [Int], showsHeading: Bool, showsFooter: Bool) {
            self.widths = widths
            self.showsHeading = showsHeading
            self.showsFooter = showsFooter
        }
    }

    /// `fields` by default names a column of pairs (found in its rows) `H` and `H se` (estimates) or
    /// `H done` and `H total` (progress), any other column by its header.
    public init(title: String? = nil, headers: [String], alignments: [Alignment]? = nil, rows: [[Cell]], footer: [String] = [],
                fields: [[String]]? = nil) {
        self.title = title
        self.headers = headers
        self.alignments = alignments ?? headers.indices.map { $0 == 0 ? .left : .right }
        self.rows = rows
        self.footer = footer
        self.fields = fields ?? headers.enumerated().map { index, header in
            for row in rows where index < row.count {
                switch row[index] {
                case .estimate: return [header, header + " se"]
                case .progress: return [header + " done", header + " total"]
                default: continue
                }
            }
            return [header]
        }
    }

    /// Each column's widest cell, headers included.
    public func columnWidths() -> [Int] {
        var widths = headers.map(\.count)
        for row in rows { for (index, cell) in row.prefix(headers.count).enumerated() { widths[index] = max(widths[index], cell.shown.count) } }
        return widths
    }

    /// Columns padded to their widest cell, two spaces apart, no trailing spaces.
    public func rendered() -> String {
        let columns = headers.count
        let widths = chunk?.widths ?? columnWidths()
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for index in 0..<columns {
                let cell = index < cells.count ? cells[index] : ""
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                parts.append(alignments[index] == .left ? cell + pad : pad + cell)
            }
            var text = parts.joined(separator: "  ")
            // By hand, not with a regex: matching one per line was most of the time of a 100,000-row table.
            while let last = text.last, last.isWhitespace { text.removeLast() }
            return text
        }
        var lines: [String] = []
        if chunk?.showsHeading ?? true {
            if let title { lines.append(title) }
            lines.append(line(headers))
        }
        lines += rows.map { line($0.map(\.shown)) }
        if chunk?.showsFooter ?? true { lines += footer }
        return lines.joined(separator: "\n")
    }

    /// The table cut into pieces of at most `maximum` rows that, rendered and joined by newlines
    /// (as a terminal shows them one after the other), read exactly as `rendered()` of the whole:
    /// every piece keeps the whole table's column widths, the first alone has the title and
    /// headers, the last alone the footer. A table that fits is its own single piece.
    public func chunked(rows maximum: Int) -> [Table] {
        guard rows.count > max(1, maximum) else { return [self] }
        let size = max(1, maximum)
        // A piece cut again keeps the widths and the ends of the table it came from.
        let widths = chunk?.widths ?? columnWidths()
        let heading = chunk?.showsHeading ?? true, ending = chunk?.showsFooter ?? true
        return stride(from: 0, to: rows.count, by: size).map { start in
            var piece = self
            piece.rows = Array(rows[start..<min(start + size, rows.count)])
            piece.chunk = Chunk(widths: widths, showsHeading: heading && start == 0,
                                showsFooter: ending && start + size >= rows.count)
            return piece
        }
    }
}

/// A table's cell: typed, so that machine output (`--format json|csv`) writes numbers as numbers
/// and pairs as two columns, while a table on the terminal shows each as one aligned word.
public enum Cell: Sendable, Equatable, Codable, ExpressibleByStringInterpolation {
    case text(String)
    case integer(Int)
    /// Shown to four decimals; written whole (shortest round-trip form) in machine output.
    case number(Double)
    /// A value and its uncertainty, shown `m ± e`: a mean over runs and its standard error, or an
    /// ensemble's mean and spread.
    case estimate(Double, Double)
    /// Days of a job done out of its total, shown `3/14 days`.
    case progress(Int, of: Int)
    /// A mark, shown `*` when set (the current experiment).
    case flag(Bool)
    /// No value (a curve shorter than the others, an experiment without a world), shown `—`.
    case missing

    public init(stringLiteral value: String) { self = .text(value) }
    public init(stringInterpolation: DefaultStringInterpolation) { self = .text(String(stringInterpolation: stringInterpolation)) }

    /// The cell as a table on the terminal shows it.
    public var shown: String {
        switch self {
        case .text(let text): text
        case .integer(let n): "\(n)"
        case .number(let x): formatNumber(x)
        case .estimate(let value, let error): formatNumber(value) + " ± " + formatNumber(error)
        case .progress(let done, let total): "\(done)/\(counted(total, "day"))"
        case .flag(let set): set ? "*" : ""
        case .missing: "—"
        }
    }

    // On the wire, compact (a log of a million rows is five million cells): text as a string, an
    // integer as a number, a number as [x], an estimate as [m, e], progress as {"done", "total"},
    // a flag as a boolean, no value as null.

    private enum Keys: String, CodingKey { case done, total }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .progress(let done, let total):
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(done, forKey: .done)
            try container.encode(total, forKey: .total)
            return
        default: break
        }
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .integer(let n): try container.encode(n)
        case .number(let x): try container.encode([x])
        case .estimate(let value, let error): try container.encode([value, error])
        case .flag(let set): try container.encode(set)
        case .missing: try container.encodeNil()
        case .progress: preconditionFailure("encoded above")
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .missing
        } else if let set = try Self.ifOfType({ try container.decode(Bool.self) }) {
            self = .flag(set)
        } else if let n = try Self.ifOfType({ try container.decode(Int.self) }) {
            self = .integer(n)
        } else if let text = try Self.ifOfType({ try container.decode(String.self) }) {
            self = .text(text)
        } else if let numbers = try Self.ifOfType({ try container.decode([Double].self) }) {
            switch numbers.count {
            case 1: self = .number(numbers[0])
            case 2: self = .estimate(numbers[0], numbers[1])
            default: throw DecodingError.dataCorruptedError(in: container, debugDescription: "a cell of \(numbers.count) numbers")
            }
        } else {
            let keyed = try decoder.container(keyedBy: Keys.self)
            self = .progress(try keyed.decode(Int.self, forKey: .done), of: try keyed.decode(Int.self, forKey: .total))
        }
    }

    /// The value when the JSON at hand is of that type, nil when it is of another; other errors go on.
    private static func ifOfType<T>(_ decode: () throws -> T) throws -> T? {
        do {
            return try decode()
        } catch DecodingError.typeMismatch {
            return nil
        }
    }
}

/// What `plot` asks the client to draw: series per stored result (or the live run) and references.
public struct PlotRequest: Sendable, Equatable, Codable {
    public struct Series: Sendable, Equatable, Codable {
        public var label: String
        public var mean: [Double]
        /// ±1 standard error per day, when the series is a result over several runs.
        public var standardError: [Double]?
        public var asymptote: Double?
    }

    /// A horizontal reference line, e.g. the oracle's expected viewing time.
    public struct Reference: Sendable, Equatable, Codable {
        public var value: Double
        public var label: String
    }

    public var title: String
    public var series: [Series]
    public var reference: Reference?
    /// What the x axis counts (nil: days; `run` for an evaluation's runs), and what the bands are
    /// (nil: ±1 SE).
    public var xLabel: String?
    public var bandLabel: String?
    /// Drawn as an SVG document into the file the user named on the line, not on the terminal.
    public var svg: Bool

    /// The same data as a table, for places that cannot draw.
    public var fallbackTable: Table {
        let days = series.map(\.mean.count).max() ?? 0
        let rows = (0..<days).map { day in
            [Cell.integer(day + 1)] + series.map { s in
                guard day < s.mean.count else { return .missing }
                return s.standardError.map { .estimate(s.mean[day], $0[day]) } ?? .number(s.mean[day])
            }
        }
        var footer = series.compactMap { s in s.asymptote.map { "asymptote \(s.label): \(formatNumber($0))" } }
        if let reference { footer.append("\(reference.label): \(formatNumber(reference.value))") }
        return Table(title: title, headers: [xLabel ?? "day"] + series.map(\.label), rows: rows, footer: footer)
    }
}

/// Four decimals: enough to compare policies, short enough to read.
public func formatNumber(_ value: Double) -> String {
    value.isFinite ? String(format: "%.4f", value) : "\(value)"
}

/// A count with its noun, singular for one: `counted(1, "day")` is "1 day", `counted(3, "day")` "3 days".
public func counted(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
