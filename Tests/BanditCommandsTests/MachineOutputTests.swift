// Output for scripts: --format json|csv through the real program, read back and checked against the store.

@testable import BanditCommands
import BanditCore
import BanditStore
import Foundation
import BanditTestSupport
import Testing

@Suite("Machine output")
struct MachineOutputTests {
    /// A JSON value as a script reads it. (JSONDecoder, not JSONSerialization: on Linux the latter
    /// parses about half of all doubles one unit in the last place off. JSONDecoder does not tell
    /// `1` from `1.0`: the test looks at the text for that.)
    enum Value: Decodable, Equatable {
        case number(Double), string(String), boolean(Bool), null

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let set = try Self.probe({ try container.decode(Bool.self) }) {
                self = .boolean(set)
            } else if let text = try Self.probe({ try container.decode(String.self) }) {
                self = .string(text)
            } else {
                self = .number(try container.decode(Double.self))
            }
        }

        /// The value when the JSON is of that type; nil otherwise.
        private static func probe<T>(_ decode: () throws -> T) throws -> T? {
            do {
                return try decode()
            } catch DecodingError.typeMismatch {
                return nil
            }
        }

        static func integer(_ n: Int) -> Value { .number(Double(n)) }
        var int: Int? { if case .number(let x) = self { Int(exactly: x) } else { nil } }
        var double: Double? { if case .number(let x) = self { x } else { nil } }
        var string: String? { if case .string(let text) = self { text } else { nil } }
    }

    /// One line of JSON output: a table or a sentence.
    struct Line: Decodable {
        var command: String
        var title: String?
        var columns: [String]?
        var rows: [[Value]]?
        var footer: [String]?
        var text: String?
    }

    /// Each line of `stdout`, decoded.
    static func objects(_ stdout: String) throws -> [Line] {
        try stdout.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
    }

    /// The table of `command` whose title starts with `title` (or the first, when nil).
    static func table(_ objects: [Line], _ command: String, title: String? = nil) throws -> (columns: [String], rows: [[Value]]) {
        let found = try #require(objects.first { object in
            object.command == command && object.rows != nil && (title.map { object.title?.hasPrefix($0) == true } ?? true)
        }, "no table of \(command) titled \(title ?? "-")")
        return (try #require(found.columns), try #require(found.rows))
    }

    @Test("--format json: one object per line, numbers as JSON numbers equal to the stored doubles bit for bit")
    func json() throws {
        let directory = temporaryDirectory(), state = directory + "/state"
        let line = "new e; world features 3 actions 4; set days 6 runs 3; runs; policy eps 0.1; runs; step 3; "
            + "experiments; settings; stats; jobs; betas; log 5; plot; bogus"
        let run = try runBandit(["--no-daemon", "--state-dir", state, "--format", "json", "-c", line], directory: directory)
        // The error still goes to standard error, as a sentence, and stops the line.
        #expect(run.status == 1 && run.stderr.contains("unknown command: bogus"), "\(run.stderr)")
        let objects = try Self.objects(run.stdout)
        #expect(objects.first?.text == "experiment e: generator default, seed 0; draw its world with 'world'")

        let store = try Store(directory: state)
        defer { store.close() }
        let experiment = try #require(try store.experiment(named: "e"))
        let results = try store.results(experimentID: experiment.id)
        let live = try #require(try store.liveRun(experimentID: experiment.id))

        // stats: the stored results, each mean and its SE in two columns.
        let curves = try Self.table(objects, "stats", title: "stored results")
        #expect(curves.columns == ["day", "greedy", "greedy se", "eps:0.1", "eps:0.1 se"])
        #expect(curves.rows.count == 6)
        for (day, row) in curves.rows.enumerated() {
            #expect(row[0].int == day + 1)
            for (index, result) in results.enumerated() {
                #expect(row[1 + 2 * index].double?.bitPattern == result.curve.mean[day].bitPattern)
                #expect(row[2 + 2 * index].double?.bitPattern == result.curve.standardError[day].bitPattern)
            }
        }
        // stats: the live run's days.
        let days = try Self.table(objects, "stats", title: "live run")
        #expect(days.columns == ["day", "decisions", "mean viewing time", "regret"])
        let stored = try store.days(runID: live.id)
        #expect(days.rows.count == stored.count && stored.count == 3)
        for (row, day) in zip(days.rows, stored) {
            #expect(row[0].int == day.day && row[1].int == day.decisions)
            #expect(row[2].double?.bitPattern == day.meanViewingTime.bitPattern)
            #expect(row[3].double?.bitPattern == day.regret.bitPattern)
        }
        // log: the last decisions, typed.
        let log = try Self.table(objects, "log 5")
        #expect(log.columns == ["day", "context", "post", "propensity", "viewing time"])
        let decisions = try store.recentDecisions(runID: live.id, limit: 5)
        #expect(log.rows.count == 5)
        for (row, (day, decision)) in zip(log.rows, decisions) {
            #expect(row[0].int == day && row[2].int == decision.action)
            #expect(row[1].string == LogCommand.contextText(decision.context, features: 3))
            #expect(row[3].double?.bitPattern == decision.propensity.bitPattern)
            #expect(row[4].double?.bitPattern == decision.viewingTime.bitPattern)
        }
        // jobs: progress in two integer columns.
        let jobs = try Self.table(objects, "jobs")
        #expect(jobs.columns == ["job", "command", "days done", "days total", "state"])
        #expect(jobs.rows.count == 3)
        #expect(jobs.rows[0] == [.integer(1), .string("runs"), .integer(18), .integer(18), .string("finished")])
        #expect(jobs.rows[2] == [.integer(3), .string("step 3"), .integer(3), .integer(3), .string("finished")])
        // Integers are written as integers, numbers whole (a propensity of 1 is 1.0).
        #expect(run.stdout.contains(#"[3,"step 3",3,3,"finished"]"#))
        #expect(run.stdout.contains(#""columns":["day","decisions","mean viewing time","regret"],"rows":[[1,100,"#))
        #expect(log.rows.allSatisfy { row in run.stdout.contains(#"",\#(row[2].int!),\#(row[3].double!.description),"#) })
        // experiments: the current one marked by a boolean, not a star in its name.
        let experiments = try Self.table(objects, "experiments")
        #expect(experiments.columns.first == "current" && experiments.rows.count == 1)
        #expect(experiments.rows[0][0] == .boolean(true) && experiments.rows[0][1] == .string("e"))
        #expect(experiments.rows[0][3] == .integer(0) && experiments.rows[0][6].int != nil)
        // settings: a value column of mixed types.
        let settings = try Self.table(objects, "settings")
        #expect(settings.rows.map { $0[0].string } == ["rng", "seed", "world", "policy", "decisions", "days", "runs", "warmup", "ridge"])
        #expect(settings.rows[7][1] == .integer(0) && settings.rows[8][1] == .string("1"))
        #expect(settings.rows[5][1] == .integer(6) && settings.rows[3][1] == .string("eps:0.1"))
        // betas: one number per post and feature.
        let betas = try Self.table(objects, "betas")
        #expect(betas.columns == ["post", "β0", "β1", "β2"] && betas.rows.count == 4)
        #expect(betas.rows.allSatisfy { row in row[0].int != nil && row.dropFirst().allSatisfy { $0.double != nil } })
        // plot: the chart's numbers, as the table a pipe shows.
        let plot = try Self.table(objects, "plot")
        #expect(plot.rows[5][1].double?.bitPattern == results[0].curve.mean[5].bitPattern)
        // A sentence is {"command", "text"}; the footer keeps the table's closing lines.
        let picks = try #require(objects.first { $0.text?.hasPrefix("picks per post") == true })
        #expect(picks.command == "stats" && picks.rows == nil)
        let footer = try #require(objects.first { $0.title?.hasPrefix("stored results") == true }?.footer)
        #expect(footer.count == 2 && footer[0].hasPrefix("greedy (3 runs): asymptote"))
    }

    @Test("--format csv: a header row, rows read back equal to the stored numbers; the format command switches mid-line")
    func csv() throws {
        let directory = temporaryDirectory(), state = directory + "/state"
        let line = "new e; world features 3 actions 4; set days 5 runs 2; runs; step 2; format csv; stats; jobs; format table; jobs"
        let run = try runBandit(["--no-daemon", "--state-dir", state, "-c", line], directory: directory)
        #expect(run.status == 0, "\(run.stderr)")
        // In table format up to `format csv`, then CSV, then aligned again.
        let csv = try #require(run.stdout.range(of: "day,decisions,mean viewing time,regret\n"))
        #expect(run.stdout[..<csv.lowerBound].contains("job 1 finished: runs"))
        let tail = try #require(run.stdout.range(of: "job  command"))
        let blocks = run.stdout[csv.lowerBound..<tail.lowerBound].components(separatedBy: "\n\n")
        let store = try Store(directory: state)
        defer { store.close() }
        let experiment = try #require(try store.experiment(named: "e"))
        let live = try #require(try store.liveRun(experimentID: experiment.id))
        // The live run's days, then (after the picks line) the results, then the jobs.
        let days = try parseCSV(blocks[0].components(separatedBy: "\npicks per post")[0] + "\n")
        let stored = try store.days(runID: live.id)
        #expect(days.count == 1 + stored.count)
        for (row, day) in zip(days.dropFirst(), stored) {
            #expect(row == ["\(day.day)", "\(day.decisions)", day.meanViewingTime.description, day.regret.description])
        }
        let curve = try #require(try store.results(experimentID: experiment.id).first).curve
        let results = try parseCSV(blocks[1] + "\n")
        #expect(results.first == ["day", "greedy", "greedy se"] && results.count == 6)
        for (day, row) in results.dropFirst().enumerated() {
            #expect(Double(row[1])?.bitPattern == curve.mean[day].bitPattern && Double(row[2])?.bitPattern == curve.standardError[day].bitPattern)
        }
        let jobs = try parseCSV(blocks[2])
        #expect(jobs == [["job", "command", "days done", "days total", "state"], ["1", "runs", "10", "10", "finished"],
                         ["2", "step 2", "2", "2", "finished"]])
    }

    @Test("CSV quotes as RFC 4180 says; JSON escapes; pieces of a cut table make one line, one object")
    func quotingAndPieces() throws {
        let table = Table(title: "t", headers: ["name", "value"],
                          rows: [["a,b", .estimate(1.5, 0.25)], ["say \"hi\"", .missing], ["two\nlines", .number(.nan)], [" pad", .integer(7)]],
                          footer: ["note \"x\""])
        #expect(table.csv() == "name,value,value se\n\"a,b\",1.5,0.25\n\"say \"\"hi\"\"\",,\n\"two\nlines\",,\n\" pad\",7,\n")
        #expect(try parseCSV(table.csv()) == [["name", "value", "value se"], ["a,b", "1.5", "0.25"], ["say \"hi\"", "", ""],
                                              ["two\nlines", "", ""], [" pad", "7", ""]])
        let json = table.json(command: "c \\ d")
        #expect(json.hasSuffix("}\n") && json.split(separator: "\n").count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["command"] as? String == "c \\ d" && object["footer"] as? [String] == ["note \"x\""])
        let rows = try #require(object["rows"] as? [[Any]])
        #expect(rows[1][0] as? String == "say \"hi\"" && rows[1][1] is NSNull && rows[2][0] as? String == "two\nlines" && rows[2][1] is NSNull)
        // A table cut in pieces (as the daemon sends a long one) writes the same bytes as the whole.
        let long = Table(headers: ["day", "x"], rows: (1...4_501).map { [.integer($0), .number(Double($0) / 3)] }, footer: ["end"])
        let pieces = long.chunked(rows: 2_000)
        #expect(pieces.count == 3)
        #expect(pieces.map { $0.json(command: "log") }.joined() == long.json(command: "log"))
        #expect(pieces.map { $0.csv() }.joined() == long.csv())
        #expect(jsonText("a\u{1}b", command: "x") == "{\"command\":\"x\",\"text\":\"a\\u0001b\"}\n")
    }

    @Test("through the daemon: a log cut in parts is still one JSON line")
    func daemonParts() throws {
        let directory = temporaryDirectory(), state = directory + "/state"
        defer { stopDaemon(state) }
        let run = try runBandit(["--state-dir", state, "--format", "json", "-c",
                                 "new e; world features 3 actions 4; set decisions 5000; day; log 4500"], directory: directory)
        #expect(run.status == 0, "\(run.stderr)")
        let log = try Self.table(try Self.objects(run.stdout), "log 4500")
        #expect(log.rows.count == 4_500 && log.rows.allSatisfy { $0[0] == .integer(1) })
    }
}

/// RFC 4180 read back: fields split at commas and line ends, quoted fields with doubled quotes inside.
func parseCSV(_ text: String) throws -> [[String]] {
    var rows: [[String]] = [], row: [String] = [], field = ""
    var quoted = false, wasQuoted = false
    var characters = text.makeIterator()
    while let c = characters.next() {
        if quoted {
            if c == "\"" {
                quoted = false
            } else {
                field.append(c)
            }
            continue
        }
        switch c {
        case "\"":
            if wasQuoted { field.append("\"") }  // a doubled quote inside a quoted field
            quoted = true
            wasQuoted = true
        case ",":
            row.append(field)
            field = ""
            wasQuoted = false
        case "\n":
            row.append(field)
            rows.append(row)
            row = []
            field = ""
            wasQuoted = false
        default:
            field.append(c)
        }
    }
    guard row.isEmpty && field.isEmpty && !quoted else { throw CSVError() }
    return rows
}

struct CSVError: Error {}
