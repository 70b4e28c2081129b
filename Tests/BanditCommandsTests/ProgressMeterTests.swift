// The progress bar's line: percentage, rate, ETA, and the time a job took, on a clock the test plays.

import BanditCommands
import Testing

@Suite("Progress meter")
struct ProgressMeterTests {
    static let erase = "\r\u{1b}[2K"

    static func bar(_ filled: Int) -> String {
        String(repeating: "█", count: filled) + String(repeating: "░", count: ProgressMeter.barWidth - filled)
    }

    @Test("a job's bar says how far in percent and days, how fast, and when it will end; its end says how long it took")
    func job() {
        var meter = ProgressMeter(now: 0)
        let label = "runs 40 days 14"
        // Met at its first day: measured from the start of the line.
        #expect(meter.update(JobProgress(label: label, done: 1, total: 14), now: 0.5, columns: 120)
            == "\r" + Self.bar(2) + "   7%  1/14 days  2.0 days/s  ETA 0:07  runs 40 days 14\u{1b}[K")
        // 3 of 14 days in 1.5 s: 2 days a second, 11 days left, 5.5 s, shown rounded up.
        #expect(meter.update(JobProgress(label: label, done: 3, total: 14), now: 1.5, columns: 120)
            == "\r" + Self.bar(6) + "  21%  3/14 days  2.0 days/s  ETA 0:06  runs 40 days 14\u{1b}[K")
        #expect(meter.update(JobProgress(label: label, done: 13, total: 14), now: 6.5, columns: 120)
            == "\r" + Self.bar(27) + "  92%  13/14 days  2.0 days/s  ETA 0:01  runs 40 days 14\u{1b}[K")
        #expect(meter.update(JobProgress(label: label, done: 14, total: 14), now: 7, columns: 120)
            == Self.erase + "runs 40 days 14: 14 days in 7.0 s (2.0 days/s)\n")
        // The next job of the line starts where this one ended.
        #expect(meter.update(JobProgress(label: "step 400", done: 1, total: 400), now: 7.004, columns: 120)
            == "\r" + Self.bar(0) + "   0%  1/400 days  250 days/s  ETA 0:02  step 400\u{1b}[K")
    }

    @Test("a job that ends within a second ends with the bar erased and nothing said")
    func quickJob() {
        var meter = ProgressMeter(now: 10)
        #expect(meter.update(JobProgress(label: "day", done: 1, total: 1), now: 10.2, columns: 80) == Self.erase)
        #expect(meter.update(JobProgress(label: "step 2", done: 2, total: 2), now: 10.9, columns: 80) == Self.erase)
    }

    @Test("a job met halfway (wait, resume) is measured from then; a slow one in seconds per day; notes pass through")
    func metLater() {
        var meter = ProgressMeter(now: 0)
        #expect(meter.update(JobProgress(label: "x", done: 0, total: 0, note: "job 3 will take about 2 GB"), now: 0, columns: 80)
            == Self.erase + "job 3 will take about 2 GB\n")
        #expect(meter.update(JobProgress(label: "runs", done: 5, total: 10), now: 30, columns: 80)
            == "\r" + Self.bar(15) + "  50%  5/10 days  runs\u{1b}[K")
        #expect(meter.update(JobProgress(label: "runs", done: 6, total: 10), now: 34, columns: 80)
            == "\r" + Self.bar(18) + "  60%  6/10 days  4.0 s/day  ETA 0:16  runs\u{1b}[K")
        #expect(meter.update(JobProgress(label: "runs", done: 10, total: 10), now: 200, columns: 80)
            == Self.erase + "runs: 5 days in 2 min 50 s (34.0 s/day)\n")
    }

    @Test("the line fits the terminal: a long label is cut, never wrapped")
    func narrow() {
        var meter = ProgressMeter(now: 0)
        let line = meter.update(JobProgress(label: "compare greedy eps 0.1 ts 30 runs 400 days 14", done: 1, total: 3), now: 1, columns: 50)
        #expect(line.hasPrefix("\r") && line.hasSuffix("\u{1b}[K"))
        #expect(line.dropFirst().dropLast(3).count == 49)
    }

    @Test("times: ETA as a clock, durations in words, rates per second or per day")
    func formats() {
        #expect(ProgressMeter.clock(0) == "0:00" && ProgressMeter.clock(4.2) == "0:05" && ProgressMeter.clock(750) == "12:30")
        #expect(ProgressMeter.clock(3723) == "1:02:03")
        #expect(ProgressMeter.duration(0.44) == "0.4 s" && ProgressMeter.duration(125) == "2 min 5 s" && ProgressMeter.duration(3720) == "1 h 2 min")
        #expect(ProgressMeter.rate(1234) == "1234 days/s" && ProgressMeter.rate(2.5) == "2.5 days/s" && ProgressMeter.rate(0.25) == "4.0 s/day")
    }
}
