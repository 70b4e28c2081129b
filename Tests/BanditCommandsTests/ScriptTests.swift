// Scripts through the real program: the notebook bit for bit, errors, comments, -c and stdin.

import Foundation
import BanditTestSupport
import Testing

@Suite("Scripts")
struct ScriptTests {
    @Test("examples/notebook.bandit reproduces the notebook's curves bit for bit")
    func notebook() throws {
        let directory = temporaryDirectory()
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/notebook.bandit").path
        // Through the daemon, which the first bandit starts.
        defer { stopDaemon(directory + "/state") }
        var (status, stdout, stderr) = try runBandit(["--state-dir", directory + "/state", script], directory: directory)
        #expect(status == 0, "\(stderr)")
        // Again, on the same state: `new notebook replace` starts it over, with the same numbers.
        (status, stdout, stderr) = try runBandit(["--state-dir", directory + "/state", script], directory: directory)
        #expect(status == 0, "\(stderr)")
        #expect(stdout.hasPrefix("dropped notebook: 42000 decisions") && stdout.contains("\nreplaced experiment notebook"), "\(stdout)")
        let csv = try String(contentsOfFile: directory + "/notebook.csv", encoding: .utf8)
        let lines = csv.split(separator: "\n").map(String.init)
        #expect(lines.first == "policy,day,runs,mean,se")
        let reference = try NotebookReference(fixture: "notebook17")
        #expect(lines.count == 1 + 3 * reference.days)
        for (label, key) in [("greedy", "greedy"), ("eps:0.1", "eps"), ("ts:30", "ts")] {
            let (mean, se, asymptote) = try #require(reference.curves[key])
            // stats prints each asymptote to four decimals: the notebook's, formatted here.
            let stated = "\(label) (\(reference.runs) runs): asymptote \(String(format: "%.4f", asymptote))"
            #expect(stdout.contains(stated), "stats lacks '\(stated)'")
            let rows = lines.dropFirst().map { $0.split(separator: ",").map(String.init) }.filter { $0[0] == label }
            #expect(rows.count == reference.days)
            for row in rows {
                let day = Int(row[1])! - 1
                #expect(row[2] == "\(reference.runs)")
                // Shortest round-trip text parses back to the very same double.
                #expect(Double(row[3])!.bitPattern == mean[day].bitPattern, "\(label) day \(day + 1) mean")
                #expect(Double(row[4])!.bitPattern == se[day].bitPattern, "\(label) day \(day + 1) se")
                #expect(row[3] == mean[day].description)
            }
        }
    }

    @Test("the first error stops a script with its message and status 1; --keep-going goes on")
    func firstErrorStops() throws {
        let directory = temporaryDirectory()
        defer { stopDaemon(directory) }
        let script = """
            # a comment line
            new a   # and a trailing comment
            world features 0
            world features 3 actions 4
            """
        var (status, stdout, stderr) = try runBandit(["--state-dir", directory], input: script, directory: directory)
        #expect(status == 1)
        #expect(stderr == "bandit: line 3: world features 0: features must be an integer from 1 to 64, not '0'\n")
        #expect(!stdout.contains("d=3"))
        #expect(!stdout.contains("> "))
        (status, stdout, stderr) = try runBandit(["--state-dir", directory, "--keep-going", "-c", "use a; world features 0"],
                                                 directory: directory)
        #expect(status == 1)
        (status, stdout, stderr) = try runBandit(["--state-dir", directory, "--keep-going"],
                                                 input: "use a\nbogus\nworld features 3 actions 4\n", directory: directory)
        #expect(status == 1)
        #expect(stderr.contains("unknown command: bogus"))
        #expect(stdout.contains("d=3 features"))
        // Past a failed command of the same line too, each error said with its line.
        (status, stdout, stderr) = try runBandit(["--state-dir", directory, "--keep-going"],
                                                 input: "use a; bogus; seed 3; new 'x y'; settings\n", directory: directory)
        #expect(status == 1)
        #expect(stderr.contains("bandit: line 1: unknown command: bogus (type 'help' for the list)\n")
                    && stderr.contains("bandit: line 1: new x y: NAME must be"),
                "\(stderr)")
        #expect(stdout.contains("a: generator reseeded with 3"), "\(stdout)")
        #expect(stdout.contains("setting    value"), "\(stdout)")
        (status, stdout, stderr) = try runBandit(["--state-dir", directory, "-c", "use a; settings; quit; settings"], directory: directory)
        #expect(status == 0 && stderr.isEmpty)
        #expect(stdout.components(separatedBy: "experiment a").count == 2)
    }

    @Test("files are written by the client, in its directory; one it cannot write fails the command and stops the script",
          arguments: [false, true])
    func clientWritesFiles(daemon: Bool) throws {
        let directory = temporaryDirectory(), state = directory + "/state"
        defer { stopDaemon(state) }
        let mode = daemon ? [] : ["--no-daemon"]
        var run = try runBandit(mode + ["--state-dir", state, "-c",
                                        "new a; world features 3 actions 4; runs 2 days 5; export curves c.csv; plot c.svg"],
                                directory: directory)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("wrote 5 rows to \(directory)/c.csv") && run.stdout.contains("wrote \(directory)/c.svg"))
        let csv = try String(contentsOfFile: directory + "/c.csv", encoding: .utf8)
        #expect(csv.hasPrefix("policy,day,runs,mean,se\ngreedy,1,2,") && csv.split(separator: "\n").count == 6)
        #expect(try String(contentsOfFile: directory + "/c.svg", encoding: .utf8).hasPrefix("<?xml"))
        for failing in ["export curves /nonexistent-dir/x.csv", "plot /nonexistent-dir/x.svg"] {
            run = try runBandit(mode + ["--state-dir", state, "-c", "use a; \(failing); settings"], directory: directory)
            #expect(run.status == 1, "\(failing)")
            #expect(run.stderr.hasPrefix("bandit: \(failing): cannot write /nonexistent-dir/x."), "\(run.stderr)")
            #expect(run.stderr.hasSuffix(": the directory /nonexistent-dir does not exist\n"), "\(run.stderr)")
            #expect(!run.stdout.contains("experiment a"), "settings ran after \(failing)")
        }
    }

    @Test("bad options: status 2 and usage")
    func badOptions() throws {
        let directory = temporaryDirectory()
        let (status, _, stderr) = try runBandit(["--frobnicate"], directory: directory)
        #expect(status == 2)
        #expect(stderr.contains("unknown option '--frobnicate'"))
    }

    @Test("-e NAME and BANDIT_EXPERIMENT choose the experiment; a name that is not one is refused, nothing run")
    func experimentOption() throws {
        let directory = temporaryDirectory(), state = directory + "/state"
        defer { stopDaemon(state) }
        var run = try runBandit(["--state-dir", state, "-c", "new a; new b; world features 3 actions 4"], directory: directory)
        #expect(run.status == 0, "\(run.stderr)")
        run = try runBandit(["--state-dir", state, "-e", "a", "-c", "settings"], directory: directory)
        #expect(run.stdout.hasPrefix("experiment a\n"), "\(run.stdout)")
        run = try runProgram("/usr/bin/env", ["BANDIT_EXPERIMENT=b", try banditExecutable(), "--state-dir", state, "-c", "settings"],
                             directory: directory)
        #expect(run.stdout.contains("d=3 K=4"), "\(run.stdout) \(run.stderr)")
        run = try runBandit(["--state-dir", state, "--experiment", "a; drop b", "-c", "experiments"], directory: directory)
        #expect(run.status == 1 && run.stderr == "bandit: -e a; drop b: no experiment named 'a; drop b'\n", "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        run = try runBandit(["--state-dir", state, "-e", "nothere", "-c", "experiments"], directory: directory)
        #expect(run.status == 1 && run.stderr.contains("no experiment named 'nothere'"))
        run = try runBandit(["--state-dir", state, "-c", "experiments"], directory: directory)
        #expect(run.stdout.contains("a") && run.stdout.contains("b"))
    }

    @Test("files that cannot be read or made: the path and the system's reason, no Foundation text, no daemon started")
    func fileErrors() throws {
        let directory = temporaryDirectory(), state = directory + "/state"
        defer { stopDaemon(state) }
        try Data([0xff, 0xfe, 0x00]).write(to: URL(fileURLWithPath: directory + "/binary.bandit"))
        let cases = [
            (["missing.bandit"], "bandit: cannot read missing.bandit: No such file or directory\n"),
            (["/nonexistent-dir/x.bandit"], "bandit: cannot read /nonexistent-dir/x.bandit: the directory /nonexistent-dir does not exist\n"),
            ([directory], "bandit: cannot read \(directory): it is a directory\n"),
            (["binary.bandit"], "bandit: cannot read binary.bandit: not UTF-8 text\n"),
        ]
        for (arguments, expected) in cases {
            let run = try runBandit(["--state-dir", state] + arguments, directory: directory)
            #expect(run.status == 1 && run.stderr == expected, "\(arguments): \(run.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: state), "a script that cannot be read made the state directory")
        let run = try runBandit(["--state-dir", "/dev/null/state", "-c", "experiments"], directory: directory)
        #expect(run.status == 1 && run.stderr == "bandit: cannot create the state directory /dev/null/state: /dev/null is not a directory\n",
                "\(run.stderr)")
    }
}

