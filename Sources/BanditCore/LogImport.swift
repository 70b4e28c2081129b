// Real logs: logged decisions read from CSV text, checked row by row, for `import logs`.

import Foundation

/// Logged decisions from outside the simulator: contexts of `features` binary features (feature 0
/// the constant), posts 0..<actions, days from 1.
public struct ImportedLogs: Sendable, Equatable {
    public var features: Int
    public var actions: Int
    /// `days[t − 1]` holds day t's decisions in file order (all on day 1 without a `day` column).
    public var days: [[Decision]]

    public var decisions: Int { days.reduce(0) { $0 + $1.count } }

    /// The columns a log may have.
    public static let columnHelp = "action, reward, propensity, and either context (a bit mask, bit 0 set) or x1..xm; day optional"
    /// Most posts and rows an import takes (as many posts as a world may have, as many rows as a
    /// long live run logs).
    public static let maximumActions = 100_000
    public static let maximumRows = 10_000_000
    /// The most errors a refusal lists.
    static let errorsShown = 5

    /// Parses CSV text with a header line. Columns: `action` (a post, 0 or more), `reward` (a
    /// finite number), `propensity` (the logging probability, in (0, 1]), and either `context` (the
    /// bit mask, bit 0 the constant feature, set) or binary feature columns `x1`..`xm` (m ≤ 63, all
    /// of them, in any order); optionally `day` (from 1, never decreasing). Throws with the line
    /// numbers of the first bad rows; nothing is kept of a refused file.
    public static func parse(csv text: String) throws(LogImportError) -> ImportedLogs {
        var text = text
        do {
            // On the bytes: as Characters, "\r\n" is one, and grapheme breaking is slow on large files.
            return try text.withUTF8 { try parse(Bytes(buffer: $0)) }
        } catch let error as LogImportError {
            throw error
        } catch {
            preconditionFailure("parsing throws only LogImportError: \(error)")
        }
    }

    private static func parse(_ bytes: Bytes) throws(LogImportError) -> ImportedLogs {
        var lines = bytes.lines()
        while let last = lines.last, bytes.isBlank(last) { lines.removeLast() }
        guard let headerLine = lines.first else { throw .header("the file is empty: it needs a header line (\(columnHelp))") }
        var fields: [Range<Int>] = []
        bytes.fields(of: headerLine, into: &fields)
        let header = fields.map { bytes.text($0).lowercased() }
        let layout = try Layout(header)
        guard lines.count - 1 <= maximumRows else {
            throw .header("\(lines.count - 1) rows: an import takes at most \(maximumRows)")
        }
        var days: [[Decision]] = []
        var errors: [String] = []
        var highestBit = 0, highestAction = 0
        for (offset, line) in lines.enumerated().dropFirst() {
            let number = offset + 1
            guard errors.count < errorsShown else { break }
            bytes.fields(of: line, into: &fields)
            guard fields.count == header.count else {
                errors.append("line \(number): \(fields.count) fields where the header has \(header.count)")
                continue
            }
            do throws(LogImportError) {
                let (day, decision) = try layout.read(fields, of: bytes)
                guard day >= days.count else {
                    throw .row("day \(day) comes after day \(days.count): days must not decrease")
                }
                while days.count < day { days.append([]) }
                days[day - 1].append(decision)
                highestAction = max(highestAction, decision.action)
                highestBit = max(highestBit, 63 - decision.context.leadingZeroBitCount)
            } catch {
                errors.append("line \(number): \(error.detail)")
            }
        }
        guard errors.isEmpty else { throw .rows(errors) }
        guard !days.isEmpty else { throw .header("no rows after the header: nothing to import") }
        let features = layout.featureColumns.map { $0.count + 1 } ?? highestBit + 1
        return ImportedLogs(features: features, actions: highestAction + 1, days: days)
    }

    /// The file's bytes, and how lines and fields are cut from them.
    private struct Bytes {
        let buffer: UnsafeBufferPointer<UInt8>
        static let newline = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r"), comma = UInt8(ascii: ",")
        static let quote = UInt8(ascii: "\""), space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")

        /// Each line's range, without its "\n" or "\r\n".
        func lines() -> [Range<Int>] {
            var lines: [Range<Int>] = [], start = 0
            for index in buffer.indices where buffer[index] == Self.newline {
                lines.append(start..<(index > start && buffer[index - 1] == Self.carriageReturn ? index - 1 : index))
                start = index + 1
            }
            lines.append(start..<buffer.count)
            return lines
        }

        func isBlank(_ range: Range<Int>) -> Bool {
            range.allSatisfy { [Self.space, Self.tab, Self.carriageReturn].contains(buffer[$0]) }
        }

        /// The comma-separated fields of a line, each without surrounding blanks and double quotes.
        func fields(of line: Range<Int>, into fields: inout [Range<Int>]) {
            fields.removeAll(keepingCapacity: true)
            var start = line.lowerBound
            for index in line where buffer[index] == Self.comma {
                fields.append(trimmed(start..<index))
                start = index + 1
            }
            fields.append(trimmed(start..<line.upperBound))
        }

        private func trimmed(_ range: Range<Int>) -> Range<Int> {
            var (low, high) = (range.lowerBound, range.upperBound)
            while low < high, buffer[low] == Self.space || buffer[low] == Self.tab { low += 1 }
            while high > low, buffer[high - 1] == Self.space || buffer[high - 1] == Self.tab { high -= 1 }
            if high - low >= 2, buffer[low] == Self.quote, buffer[high - 1] == Self.quote { (low, high) = (low + 1, high - 1) }
            return low..<high
        }

        func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self) }

        /// Decimal digits only (no sign), or nil; nil beyond UInt64.
        func unsigned(_ range: Range<Int>) -> UInt64? {
            guard !range.isEmpty else { return nil }
            var value: UInt64 = 0
            for index in range {
                let digit = buffer[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                let (times, overflow) = value.multipliedReportingOverflow(by: 10)
                let (sum, carry) = times.addingReportingOverflow(UInt64(digit))
                guard !overflow, !carry else { return nil }
                value = sum
            }
            return value
        }

        func integer(_ range: Range<Int>) -> Int? { unsigned(range).flatMap { $0 <= UInt64(Int.max) ? Int($0) : nil } }

        func double(_ range: Range<Int>) -> Double? { range.isEmpty ? nil : Double(text(range)) }

        /// "0" or "1".
        func bit(_ range: Range<Int>) -> Bool? {
            guard range.count == 1 else { return nil }
            switch buffer[range.lowerBound] {
            case UInt8(ascii: "0"): return false
            case UInt8(ascii: "1"): return true
            default: return nil
            }
        }
    }

    /// Where each column is, from the header.
    private struct Layout {
        var action = -1, reward = -1, propensity = -1, context: Int?, day: Int?
        /// Column of x_j at index j − 1, when the contexts come as feature columns.
        var featureColumns: [Int]?

        init(_ header: [String]) throws(LogImportError) {
            var features: [Int: Int] = [:]
            for (index, name) in header.enumerated() {
                func set(_ slot: inout Int) throws(LogImportError) {
                    guard slot < 0 else { throw .header("column '\(name)' appears twice") }
                    slot = index
                }
                switch name {
                case "action": try set(&action)
                case "reward": try set(&reward)
                case "propensity": try set(&propensity)
                case "context":
                    guard context == nil else { throw .header("column 'context' appears twice") }
                    context = index
                case "day":
                    guard day == nil else { throw .header("column 'day' appears twice") }
                    day = index
                default:
                    guard name.hasPrefix("x"), let j = Int(name.dropFirst()), j >= 1, String(j) == name.dropFirst() else {
                        throw .header("unknown column '\(name)' (columns: \(columnHelp))")
                    }
                    guard j <= World.maximumFeatures - 1 else {
                        throw .header("column '\(name)': at most \(World.maximumFeatures - 1) feature columns (x1..x\(World.maximumFeatures - 1)) besides the constant")
                    }
                    guard features[j] == nil else { throw .header("column '\(name)' appears twice") }
                    features[j] = index
                }
            }
            let missing = [("action", action), ("reward", reward), ("propensity", propensity)].filter { $0.1 < 0 }.map(\.0)
            guard missing.isEmpty else { throw .header("missing column\(missing.count == 1 ? "" : "s") \(missing.joined(separator: ", ")) (columns: \(Self.help))") }
            if features.isEmpty {
                guard context != nil else { throw .header("no contexts: a 'context' column or feature columns x1..xm (columns: \(Self.help))") }
            } else {
                guard context == nil else { throw .header("both a 'context' column and feature columns: give one or the other") }
                let m = features.keys.max()!
                let absent = (1...m).filter { features[$0] == nil }
                guard absent.isEmpty else {
                    throw .header("feature columns x1..x\(m) need all of them: missing \(absent.prefix(5).map { "x\($0)" }.joined(separator: ", "))")
                }
                featureColumns = (1...m).map { features[$0]! }
            }
        }

        static var help: String { ImportedLogs.columnHelp }

        func read(_ fields: [Range<Int>], of bytes: Bytes) throws(LogImportError) -> (day: Int, decision: Decision) {
            guard let action = bytes.integer(fields[action]), action < ImportedLogs.maximumActions else {
                throw .row("action must be a post from 0 to \(ImportedLogs.maximumActions - 1), not '\(bytes.text(fields[action]))'")
            }
            guard let reward = bytes.double(fields[reward]), reward.isFinite else {
                throw .row("reward must be a finite number, not '\(bytes.text(fields[reward]))'")
            }
            guard let propensity = bytes.double(fields[propensity]), propensity > 0, propensity <= 1 else {
                throw .row("propensity must be a probability above 0 and at most 1, not '\(bytes.text(fields[propensity]))'")
            }
            var day = 1
            if let column = self.day {
                guard let value = bytes.integer(fields[column]), value >= 1, value <= 1_000_000 else {
                    throw .row("day must be an integer from 1 to 1000000, not '\(bytes.text(fields[column]))'")
                }
                day = value
            }
            var context: UInt64 = 1
            if let columns = featureColumns {
                for (j, column) in columns.enumerated() {
                    guard let set = bytes.bit(fields[column]) else {
                        throw .row("x\(j + 1) must be 0 or 1, not '\(bytes.text(fields[column]))'")
                    }
                    if set { context |= 1 << UInt64(j + 1) }
                }
            } else if let column = self.context {
                guard let mask = bytes.unsigned(fields[column]), mask & 1 == 1 else {
                    throw .row("context must be a bit mask with bit 0 (the constant feature) set, not '\(bytes.text(fields[column]))'")
                }
                context = mask
            }
            return (day, Decision(context: context, action: action, propensity: propensity, viewingTime: reward))
        }
    }
}

/// Why a log was refused.
public enum LogImportError: Error, Equatable, Sendable {
    /// The header, or the file as a whole.
    case header(String)
    /// One row (its line number is added by the caller).
    case row(String)
    /// The first bad rows, each with its line number.
    case rows([String])

    var detail: String {
        switch self {
        case .header(let text), .row(let text): text
        case .rows(let lines): lines.joined(separator: "; ")
        }
    }

    public var description: String { detail }
}
