// Replies for scripts: tables and text as JSON lines or CSV (`--format`, `format`). Spec in, string out.

import Foundation

/// How the client writes replies: aligned tables for people, or JSON or CSV for programs.
public enum OutputFormat: String, CaseIterable, Sendable, Codable {
    case table, json, csv
}

extension Table {
    /// The column names of machine output, pairs spread over two columns.
    public var fieldNames: [String] { fields.flatMap { $0 } }

    /// A row as machine output's values, one per field: a pair gives two, no value as many nulls
    /// as its column has fields, a missing trailing cell likewise.
    func values(of row: [Cell]) -> [MachineValue] {
        var values: [MachineValue] = []
        values.reserveCapacity(fieldNames.count)
        for (index, names) in fields.enumerated() {
            let cell = index < row.count ? row[index] : .missing
            let parts: [MachineValue] = switch cell {
            case .text(let text): [.string(text)]
            case .integer(let n): [.integer(n)]
            case .number(let x): [.number(x)]
            case .estimate(let value, let error): [.number(value), .number(error)]
            case .progress(let done, let total): [.integer(done), .integer(total)]
            case .flag(let set): [.boolean(set)]
            case .missing: []
            }
            // A column declares its width: a cell of another shape still fills exactly its fields.
            for slot in 0..<names.count { values.append(slot < parts.count ? parts[slot] : .null) }
        }
        return values
    }

    /// The table, or this piece of it, as JSON: the piece that opens the table writes
    /// `{"command": …, "title": …, "columns": […], "rows": [` and its rows, the others their rows
    /// after a comma, and the piece that closes it `], "footer": […]}` and a newline. The pieces
    /// written one after the other make one line, one object, whatever the size of the table.
    public func json(command: String) -> String {
        let heading = chunk?.showsHeading ?? true, ending = chunk?.showsFooter ?? true
        var text = ""
        if heading {
            text += "{\"command\":" + JSON.string(command) + ",\"title\":" + (title.map(JSON.string) ?? "null")
            text += ",\"columns\":[" + fieldNames.map(JSON.string).joined(separator: ",") + "],\"rows\":["
        } else if !rows.isEmpty {
            text += ","
        }
        text += rows.map { "[" + values(of: $0).map(\.json).joined(separator: ",") + "]" }.joined(separator: ",")
        if ending { text += "],\"footer\":[" + footer.map(JSON.string).joined(separator: ",") + "]}\n" }
        return text
    }

    /// The table, or this piece of it, as CSV (RFC 4180 quoting, lines ending in `\n`): the
    /// piece that opens it writes the header row of the column names; title and footer, which are
    /// sentences, are left out.
    public func csv() -> String {
        var text = ""
        if chunk?.showsHeading ?? true { text += fieldNames.map(CSV.field).joined(separator: ",") + "\n" }
        for row in rows { text += values(of: row).map(\.csv).joined(separator: ",") + "\n" }
        return text
    }
}

/// A sentence reply as JSON, on one line.
public func jsonText(_ text: String, command: String) -> String {
    "{\"command\":" + JSON.string(command) + ",\"text\":" + JSON.string(text) + "}\n"
}

/// One value of machine output.
enum MachineValue: Equatable {
    case string(String), integer(Int), number(Double), boolean(Bool), null

    /// Numbers in shortest round-trip form (they parse back to the very same double); a number that
    /// is not finite, which JSON cannot write, is null.
    var json: String {
        switch self {
        case .string(let text): JSON.string(text)
        case .integer(let n): "\(n)"
        case .number(let x): x.isFinite ? x.description : "null"
        case .boolean(let set): set ? "true" : "false"
        case .null: "null"
        }
    }

    /// As `json`, but text quoted the CSV way, and no value (or a number that is not finite) empty.
    var csv: String {
        switch self {
        case .string(let text): CSV.field(text)
        case .integer(let n): "\(n)"
        case .number(let x): x.isFinite ? x.description : ""
        case .boolean(let set): set ? "true" : "false"
        case .null: ""
        }
    }
}

enum JSON {
    /// A JSON string: quotes, backslashes and control characters escaped; other characters as they are (UTF-8).
    static func string(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

enum CSV {
    /// A field as RFC 4180 writes it: quoted when it holds a comma, a quote, a line break, or
    /// spaces at either end (which readers may trim); quotes inside doubled.
    static func field(_ text: String) -> String {
        let needsQuotes = text.contains { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
            || text.first == " " || text.last == " "
        return needsQuotes ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
