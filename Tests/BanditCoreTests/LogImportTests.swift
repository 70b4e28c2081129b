// Real logs from CSV: what is read, and every kind of bad file refused with where and why.

import BanditCore
import Testing

@Suite("Imported logs")
struct LogImportTests {
    @Test("feature columns in any order, a day column, CRLF, quotes and trailing blank lines")
    func featureColumns() throws {
        let csv = "x2,action,day,reward,propensity,x1\r\n0,3,1,1.5,0.25,1\r\n1,0,1,0,\"0.5\",0\r\n1,7,3,2,1,1\r\n\r\n\n"
        let logs = try ImportedLogs.parse(csv: csv)
        #expect(logs.features == 3 && logs.actions == 8 && logs.decisions == 3)
        #expect(logs.days == [
            [Decision(context: 0b011, action: 3, propensity: 0.25, viewingTime: 1.5),
             Decision(context: 0b101, action: 0, propensity: 0.5, viewingTime: 0)],
            [],
            [Decision(context: 0b111, action: 7, propensity: 1, viewingTime: 2)],
        ])
    }

    @Test("a context column: the features reach its highest bit; without a day column all is day 1")
    func contextColumn() throws {
        let logs = try ImportedLogs.parse(csv: "context,action,reward,propensity\n1,0,1,0.5\n9,1,0,0.5\n\(UInt64(1) << 63 | 1),2,3,0.1\n")
        #expect(logs.features == 64 && logs.actions == 3 && logs.days.count == 1 && logs.days[0][2].context == UInt64(1) << 63 | 1)
        #expect(try ImportedLogs.parse(csv: "context,action,reward,propensity\n1,0,1,0.5\n").features == 1)
    }

    @Test("bad headers are refused with what is wrong")
    func badHeaders() {
        let cases: [(String, String)] = [
            ("", "the file is empty"),
            ("action,reward,propensity,context\n", "no rows after the header"),
            ("action,reward,context\n0,1,1\n", "missing column propensity"),
            ("action,reward,propensity\n0,1,1\n", "no contexts"),
            ("action,reward,propensity,context,x1\n", "both a 'context' column and feature columns"),
            ("action,reward,propensity,x1,x3\n", "need all of them: missing x2"),
            ("action,reward,propensity,x64\n", "at most 63 feature columns"),
            ("action,reward,propensity,x1,x1\n", "column 'x1' appears twice"),
            ("action,action,reward,propensity,x1\n", "column 'action' appears twice"),
            ("action,reward,propensity,x1,timestamp\n", "unknown column 'timestamp'"),
            ("action,reward,propensity,x01\n", "unknown column 'x01'"),
        ]
        for (csv, message) in cases {
            #expect {
                _ = try ImportedLogs.parse(csv: csv)
            } throws: { error in
                (error as? LogImportError)?.description.contains(message) == true
            }
        }
    }

    @Test("bad rows are refused with their line numbers, the first five")
    func badRows() throws {
        let header = "day,action,reward,propensity,x1\n"
        let cases: [(String, String)] = [
            ("1,0,1,0.5,1\n1,-1,1,0.5,1\n", "line 3: action must be a post from 0 to 99999, not '-1'"),
            ("1,100000,1,0.5,1\n", "line 2: action must be a post"),
            ("1,0,nan,0.5,1\n", "line 2: reward must be a finite number, not 'nan'"),
            ("1,0,1,0,1\n", "line 2: propensity must be a probability above 0 and at most 1, not '0'"),
            ("1,0,1,1.5,1\n", "not '1.5'"),
            ("1,0,1,0.5,2\n", "line 2: x1 must be 0 or 1, not '2'"),
            ("0,0,1,0.5,1\n", "line 2: day must be an integer from 1"),
            ("2,0,1,0.5,1\n1,0,1,0.5,1\n", "line 3: day 1 comes after day 2: days must not decrease"),
            ("1,0,1,0.5\n", "line 2: 4 fields where the header has 5"),
            ("1,0,1,0.5,1\n\n1,0,1,0.5,1\n", "line 3: 1 fields where the header has 5"),
        ]
        for (rows, message) in cases {
            #expect {
                _ = try ImportedLogs.parse(csv: header + rows)
            } throws: { error in
                (error as? LogImportError)?.description.contains(message) == true
            }
        }
        let many = header + String(repeating: "1,0,x,0.5,1\n", count: 9)
        #expect(throws: LogImportError.rows((2...6).map { "line \($0): reward must be a finite number, not 'x'" })) {
            try ImportedLogs.parse(csv: many)
        }
        let context = "context,action,reward,propensity\n2,0,1,0.5\n"
        #expect(throws: LogImportError.rows(["line 2: context must be a bit mask with bit 0 (the constant feature) set, not '2'"])) {
            try ImportedLogs.parse(csv: context)
        }
    }
}
