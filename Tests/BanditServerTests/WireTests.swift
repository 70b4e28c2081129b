// Protocol 4: messages over several frames, replies in parts, bounded waits, Ctrl-C, bounded echoes.

import BanditCommands
@testable import BanditServer
import BanditStore
import BanditTestSupport
import Foundation
import Logging
import Testing

/// Everything of protocol 5, under one name (`swift test --filter WireTests`).
@Suite("protocol 5")
struct WireTests {}

// MARK: Helpers

/// Two connected ends of a Unix stream socket, as a daemon and a client have.
func connectedPair() throws -> (FrameConnection, FrameConnection) {
    var fds: [Int32] = [-1, -1]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { throw POSIXError(.EMFILE) }
    return (FrameConnection(fd: fds[0]), FrameConnection(fd: fds[1]))
}

/// A frame's 4-byte length word as it goes on the wire.
func lengthWord(_ word: UInt32) -> [UInt8] { withUnsafeBytes(of: word.bigEndian, Array.init) }

/// Writes raw bytes on a connection, bypassing the framing.
func writeRaw(_ connection: FrameConnection, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { send(connection.fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
        guard written > 0 else { return }
        offset += written
    }
}

/// Reads exactly `count` raw bytes, or fewer at the end of the stream.
func readRaw(_ connection: FrameConnection, _ count: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    var offset = 0
    while offset < count {
        let got = bytes.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress! + offset, count - offset, 0) }
        guard got > 0 else { return Array(bytes[..<offset]) }
        offset += got
    }
    return bytes
}

/// What the client prints for replies, the way `Output.show` prints them on a pipe (no plots here).
func printed(_ replies: [Reply]) -> String {
    var text = ""
    for reply in replies {
        if case .sequence(let inner) = reply {
            text += printed(inner)
            continue
        }
        let shown = reply.plainText
        var piece = false
        if case .table(let table) = reply { piece = table.chunk != nil }
        if !shown.isEmpty || piece { text += shown + "\n" }
    }
    return text
}

/// Runs `body` on a thread of its own; `wait()` returns what it threw, if anything.
final class Background: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    /// Written by the background thread before it signals `finished`, read after `wait()`.
    private var failure: (any Error)?

    init(_ body: @escaping @Sendable () throws -> Void) {
        let thread = Thread { [self] in
            do { try body() } catch { failure = error }
            finished.signal()
        }
        thread.start()
    }

    func wait() throws {
        finished.wait()
        if let failure { throw failure }
    }
}

/// A counter shared with a closure that the client calls on its own thread.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    /// Owned by `lock`.
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add() { lock.withLock { count += 1 } }
}

/// The old renderer (a regex per line): the reference the faster one must match byte for byte.
func referenceRendering(_ table: Table) -> String {
    let columns = table.headers.count
    var widths = table.headers.map(\.count)
    for row in table.rows { for (index, cell) in row.prefix(columns).enumerated() { widths[index] = max(widths[index], cell.shown.count) } }
    func line(_ cells: [String]) -> String {
        var parts: [String] = []
        for index in 0..<columns {
            let cell = index < cells.count ? cells[index] : ""
            let pad = String(repeating: " ", count: widths[index] - cell.count)
            parts.append(table.alignments[index] == .left ? cell + pad : pad + cell)
        }
        return parts.joined(separator: "  ").replacing(/\s+$/, with: "")
    }
    var lines: [String] = []
    if let title = table.title { lines.append(title) }
    lines.append(line(table.headers))
    lines += table.rows.map { line($0.map(\.shown)) }
    lines += table.footer
    return lines.joined(separator: "\n")
}

/// A table of odd widths: long and short cells, blank cells, missing cells, trailing blanks.
func oddTable(rows count: Int, footer: [String] = ["asymptote: 2.0688", "", "end"]) -> Table {
    let rows = (0..<count).map { index -> [Cell] in
        switch index % 5 {
        case 0: ["\(index)", .text(String(repeating: "w", count: index % 23)), "x"]
        case 1: ["", "", ""]
        case 2: ["\(index)"]
        case 3: ["é\u{301}\(index)", "1 0 1", " "]
        default: ["\(index)", "", "a long cell number \(index)"]
        }
    }
    return Table(title: "title", headers: ["day", "context", "value"], alignments: [.right, .left, .right], rows: rows, footer: footer)
}

// MARK: Frames

extension WireTests {
    @Suite("frames")
    struct Frames {
        @Test("a 5 MB message goes in frames of at most 1 MiB, each but the last flagged, and comes back whole")
        func largeMessage() throws {
            let (a, b) = try connectedPair()
            let text = String(repeating: "0123456789abcdef\n", count: 5_000_000 / 17)
            let message = ServerMessage.part(index: 0, outcome: Outcome(command: "log", reply: .text(text), error: nil, quit: false))
            // Frame by frame, as bytes.
            var sender = Background { try a.send(message) }
            var payload: [UInt8] = []
            var frames = 0
            while true {
                let word = readRaw(b, 4).withUnsafeBytes { UInt32(bigEndian: $0.loadUnaligned(as: UInt32.self)) }
                let length = Int(word & 0x7fff_ffff)
                #expect((1...Wire.maximumFrame).contains(length))
                payload += readRaw(b, length)
                frames += 1
                if word & 0x8000_0000 == 0 { break }
            }
            try sender.wait()
            #expect(frames == (payload.count + Wire.maximumFrame - 1) / Wire.maximumFrame && frames >= 5)
            // And through `receive`, which puts the frames back together.
            sender = Background { try a.send(message) }
            let received = try #require(try b.receive(ServerMessage.self))
            try sender.wait()
            guard case .part(_, let outcome) = received, case .text(let back) = outcome.reply else {
                Issue.record("not the part sent: \(received)")
                return
            }
            #expect(back == text)
        }

        @Test("a table's typed cells come back as they went: integers stay integers, whole numbers stay numbers")
        func typedCells() throws {
            let (a, b) = try connectedPair()
            let rows: [[Cell]] = [
                [.integer(3), .number(3), .number(0.1), .estimate(1.5, 0.25), .progress(4, of: 10), .flag(true), .missing, "3"],
                [.integer(-1), .number(.infinity), .number(-0.0), .estimate(-.infinity, .leastNonzeroMagnitude), .progress(0, of: 0), .flag(false),
                 .text(""), .text("[1]")],
            ]
            let table = Table(title: "t", headers: ["a", "b", "c", "d", "e", "f", "g", "h"], rows: rows, footer: ["end"])
            #expect(table.fields[3] == ["d", "d se"] && table.fields[4] == ["e done", "e total"])
            let message = ServerMessage.part(index: 0, outcome: Outcome(command: "t", reply: .table(table), error: nil, quit: false))
            let sender = Background { try a.send(message) }
            let received = try #require(try b.receive(ServerMessage.self))
            try sender.wait()
            guard case .part(_, let outcome) = received, case .table(let back) = outcome.reply else {
                Issue.record("not the part sent: \(received)")
                return
            }
            #expect(back == table)
            // Not a number is not equal to itself: checked apart.
            let nan = Table(headers: ["x"], rows: [[.number(.nan)]])
            let again = try JSONDecoder().decode(Table.self, from: try JSONEncoder().encode(
                Table(headers: ["x"], rows: [[.number(1)]])))
            #expect(again.rows == [[.number(1)]])
            let (c, d) = try connectedPair()
            let nanSender = Background { try c.send(ServerMessage.part(index: 0, outcome: Outcome(command: "x", reply: .table(nan), error: nil, quit: false))) }
            let nanBack = try #require(try d.receive(ServerMessage.self))
            try nanSender.wait()
            guard case .part(_, let nanOutcome) = nanBack, case .table(let nanTable) = nanOutcome.reply,
                  case .number(let x) = nanTable.rows[0][0] else {
                Issue.record("not the part sent: \(nanBack)")
                return
            }
            #expect(x.isNaN)
        }

        @Test("a message over the bound is refused before it is all read")
        func overBound() throws {
            let (c, d) = try connectedPair()
            let bounded = FrameConnection(fd: dup(d.fd), maximumMessage: 3 << 20)
            // 4 MiB: the fourth frame takes it over 3 MiB.
            let sender = Background { try c.send(ClientMessage.run(line: String(repeating: "x", count: 4 << 20))) }
            #expect {
                _ = try bounded.receive(ClientMessage.self)
            } throws: { error in
                "\(error)".contains("a message of more than 3 MiB is refused")
            }
            // The sender, still in the fourth frame (more than a socket buffer holds), sees the connection go.
            d.shutdown()
            #expect(throws: WireError.self) { try sender.wait() }
            // Sending over the bound fails before anything goes out, and says why.
            let (e, f) = try connectedPair()
            let sending = FrameConnection(fd: dup(e.fd), maximumMessage: 3 << 20)
            #expect {
                try sending.send(ClientMessage.run(line: String(repeating: "y", count: 3 << 20)))
            } throws: { error in
                (error as? WireError)?.kind == .unencodable && "\(error)".contains("over the 3 MiB limit")
            }
            #expect(!f.waitForInput(timeout: .milliseconds(50)))
        }

        @Test("a continuation that never ends, or that goes on with a frame of 0 bytes, is refused")
        func badContinuation() throws {
            let (a, b) = try connectedPair()
            writeRaw(a, lengthWord(0x8000_0003) + Array("{\"r".utf8))
            a.shutdown()
            #expect {
                _ = try b.receive(ClientMessage.self)
            } throws: { error in
                "\(error)".contains("closed inside a message")
            }
            let (c, d) = try connectedPair()
            writeRaw(c, lengthWord(0x8000_0003) + Array("{\"r".utf8) + lengthWord(0x8000_0000))
            #expect {
                _ = try d.receive(ClientMessage.self)
            } throws: { error in
                "\(error)".contains("a frame of 0 bytes is outside 1 byte to 1 MiB")
            }
            // The pieces of a valid message, sent by hand, do make one message.
            let (e, f) = try connectedPair()
            let json = Array(#"{"run":{"line":"stats"}}"#.utf8)
            writeRaw(e, lengthWord(0x8000_0000 | 5) + json[..<5] + lengthWord(UInt32(json.count - 5)) + json[5...])
            #expect(try f.receive(ClientMessage.self) == .run(line: "stats"))
        }

        @Test("a frame of 0 bytes or of more than 1 MiB is refused", arguments: [UInt32(0), UInt32(Wire.maximumFrame + 1), 0xffff_ffff])
        func badLength(word: UInt32) throws {
            let (a, b) = try connectedPair()
            writeRaw(a, lengthWord(word) + [0x7b])
            #expect {
                _ = try b.receive(ClientMessage.self)
            } throws: { error in
                "\(error)".contains("outside 1 byte to 1 MiB")
            }
        }

        @Test("a receive with a deadline gives up in time")
        func deadline() throws {
            let (a, b) = try connectedPair()
            defer { withExtendedLifetime(a) {} }
            let start = ContinuousClock.now
            #expect {
                _ = try b.receive(ClientMessage.self, until: .now + .milliseconds(200))
            } throws: { error in
                (error as? WireError)?.kind == .timedOut
            }
            #expect(ContinuousClock.now - start < .seconds(2))
        }

        @Test("a plot whose standard error is not a number still encodes")
        func nonFiniteNumbers() throws {
            let (a, b) = try connectedPair()
            // PlotRequest has no public initialiser: built as the daemon's JSON would describe it.
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            let json = #"{"title":"t","series":[{"label":"ts:30","mean":[1,"inf"],"standardError":["nan",0]}],"svg":false}"#
            let plot = try decoder.decode(PlotRequest.self, from: Data(json.utf8))
            try a.send(ServerMessage.part(index: 0, outcome: Outcome(command: "plot", reply: .plot(plot), error: nil, quit: false)))
            guard case .part(_, let outcome)? = try b.receive(ServerMessage.self), case .plot(let back) = outcome.reply else {
                Issue.record("no plot came back")
                return
            }
            #expect(back.series[0].mean == [1, .infinity] && back.series[0].standardError?[0].isNaN == true)
        }
    }
}


// MARK: Replies in parts

extension WireTests {
    @Suite("replies in parts")
    struct Parts {
        @Test("a table cut into pieces of any size prints byte for byte as the whole", arguments: [1, 2, 3, 7, 100, 2_000])
        func tableChunks(rows: Int) {
            let table = oddTable(rows: 523)
            let pieces = table.chunked(rows: rows)
            #expect(pieces.count == (523 + rows - 1) / rows)
            #expect(pieces.allSatisfy { $0.rows.count <= rows })
            #expect(printed(pieces.map(Reply.table)) == printed([.table(table)]))
            // Cut again, a piece still belongs to the whole.
            let twice = pieces.flatMap { $0.chunked(rows: max(1, rows / 2)) }
            #expect(printed(twice.map(Reply.table)) == printed([.table(table)]))
        }

        @Test("an unsplit table renders as before, trailing blanks and all")
        func unsplitRendering() {
            for table in [oddTable(rows: 0), oddTable(rows: 1), oddTable(rows: 57, footer: []),
                          Table(headers: ["a", "b"], rows: [["x\u{a0}", "\u{2003}"], ["", "y \t"]])] {
                #expect(table.rendered() == referenceRendering(table))
                #expect(table.chunked(rows: 2_000) == [table])
            }
        }

        @Test("a long reply goes in pieces that print as the whole: tables, text by lines, sequences")
        func replyPieces() {
            let table = oddTable(rows: 4_501)
            var text = (0..<40_000).map { $0 % 7 == 0 ? "" : "line \($0) " + String(repeating: "·", count: $0 % 13) }.joined(separator: "\n")
            text += "\n\n"
            let reply = Reply.sequence([.text("heading"), .table(table), .sequence([.text(text), .text("")]), .text("tail")])
            let pieces = Wire.pieces(of: reply)
            #expect(pieces.count > 5)
            #expect(printed(pieces) == printed([reply]))
            #expect(Wire.lines(of: text, bytes: 1_000).allSatisfy { !$0.isEmpty })
            // Small replies are left whole.
            let small = Reply.sequence([.text("a"), .table(oddTable(rows: 10))])
            #expect(Wire.pieces(of: small) == [small])
        }

        @Test("a command's parts: the command quoted in 80 characters, quit only on the last part")
        func outcomeParts() throws {
            let word = String(repeating: "w", count: 1 << 20)
            let outcome = Outcome(command: "quit " + word, reply: .table(oddTable(rows: 5_000)), error: nil, quit: true)
            let parts = Wire.parts(of: outcome, line: "quit " + word)
            #expect(parts.count == 3)
            #expect(parts.map(\.quit) == [false, false, true])
            #expect(parts.allSatisfy { $0.command.count == 81 && $0.command.hasSuffix("…") })
            let empty = Wire.parts(of: Outcome(command: "quit", reply: .empty, error: nil, quit: true), line: "quit")
            #expect(empty.count == 1 && empty[0].quit)
        }

        @Test("an error quotes at most 80 characters of a word of the line, whatever the command put in it")
        func boundedErrors() {
            let word = "Bogus" + String(repeating: "x", count: 1 << 20)
            let error = Wire.bounded("unknown command: \(word) (type 'help' for the list)", quoting: "\(word); stats")
            #expect(error == "unknown command: \(word.prefix(80))… (type 'help' for the list)")
            // Lowercased, as a policy name is.
            let policy = Wire.bounded("unknown policy '\(word.lowercased())': expected greedy", quoting: "compare \(word)")
            #expect(policy.count < 140 && policy.hasSuffix("': expected greedy"))
            // Whatever else, an error stays one readable line.
            #expect(Wire.bounded(String(repeating: "e", count: 5_000), quoting: "").count == 1_001)
            #expect(Wire.bounded("short", quoting: word) == "short")
        }

        @Test("echo keeps short text, cuts long text at 80 characters, and bounds a character of a million marks")
        func echoes() {
            #expect(echo("stats") == "stats")
            #expect(echo(String(repeating: "a", count: 80)) == String(repeating: "a", count: 80))
            #expect(echo(String(repeating: "a", count: 81)) == String(repeating: "a", count: 80) + "…")
            #expect(echo(String(repeating: "é", count: 100)).count == 81)
            let zalgo = "a" + String(repeating: "\u{301}", count: 1 << 20)
            #expect(echo(zalgo).unicodeScalars.count <= 321)
            #expect(echo("abc", limit: 2) == "ab…")
        }
    }
}

// MARK: The daemon's side of a line, in process

extension WireTests {
    @Suite("a client's lines in the daemon", .serialized)
    struct DaemonSide {
        /// A `Client` serving one end of a socket pair, on a store of its own; the test speaks on the other end.
        func served(_ label: String = #function) throws -> (client: Client, session: Session, peer: FrameConnection, store: Store) {
            let store = try Store(directory: temporaryDirectory(label))
            let session = Session(workspace: Workspace(store: store, threads: 1))
            let (daemonSide, peer) = try connectedPair()
            let client = Client(connection: daemonSide, interpreter: Interpreter(session: session), logger: Logger(label: "test")) { _ in }
            return (client, session, peer, store)
        }

        /// Messages until `done`: the parts, and `done`'s prompt and notices.
        func answer(on peer: FrameConnection) throws -> (parts: [(Int, Outcome)], prompt: String, notices: [String]) {
            var parts: [(Int, Outcome)] = []
            while true {
                switch try peer.receive(ServerMessage.self, until: .now + .seconds(30)) {
                case .part(let index, let outcome)?: parts.append((index, outcome))
                case .done(let prompt, let notices)?: return (parts, prompt, notices)
                case .progress?: continue
                case let other: throw WireError("unexpected \(String(describing: other))")
                }
            }
        }

        @Test("notices posted for a session come with the line's done, once")
        func notices() throws {
            let (client, session, peer, store) = try served()
            defer { store.close() }
            session.notices.post("job 1 finished: runs 10 days 14")
            #expect(client.start("new a; experiments"))
            var (parts, prompt, notices) = try answer(on: peer)
            #expect(parts.map(\.0) == [0, 1] && parts.allSatisfy { $0.1.error == nil })
            #expect(prompt == "bandit a> ")
            #expect(notices == ["job 1 finished: runs 10 days 14"])
            #expect(client.start("bogus; experiments"))
            (parts, prompt, notices) = try answer(on: peer)
            #expect(parts.count == 1 && parts[0].1.error?.contains("unknown command: bogus") == true)
            #expect(notices.isEmpty)
        }

        @Test("an interrupt that stops a command leaves its reply whole; one no command heeds cuts the reply")
        func interruptedLine() throws {
            let (client, session, peer, store) = try served()
            defer { store.close() }
            let setup = Interpreter(session: session).run("new e; world features 3 actions 4; set decisions 60000; day")
            #expect(setup.allSatisfy { $0.error == nil }, "\(setup.compactMap(\.error))")
            // `runs` looks at Ctrl-C at every day boundary: it stops, and says where.
            #expect(client.start("runs 100 days 14; experiments"))
            client.interrupt()
            let stopped = try answer(on: peer)
            #expect(stopped.parts.map(\.0) == [0, 1], "\(stopped.parts.map(\.1.reply.plainText))")
            #expect(stopped.parts.first?.1.reply.plainText.contains("stopped after") == true)
            // `log` never looks: the Ctrl-C was for its output.
            #expect(client.start("log 60000"))
            client.interrupt()
            let cut = try answer(on: peer)
            #expect(cut.parts.isEmpty && cut.prompt == "bandit e> ")
        }

        @Test("an interrupt while the reply goes out stops its parts; done still comes")
        func interruptedReply() throws {
            let (client, session, peer, store) = try served()
            defer { store.close() }
            let setup = Interpreter(session: session).run("new e; world features 3 actions 4; set decisions 60000; day")
            #expect(setup.allSatisfy { $0.error == nil }, "\(setup.compactMap(\.error))")
            #expect(client.start("log 60000"))
            guard case .part? = try peer.receive(ServerMessage.self, until: .now + .seconds(30)) else {
                Issue.record("no first part")
                return
            }
            client.interrupt()
            let rest = try answer(on: peer)
            // 30 parts in all; only those already in the socket's buffer may still come.
            #expect(rest.parts.count < 10, "\(rest.parts.count) parts after the interrupt")
            // The next line is served as usual.
            #expect(client.start("log 2"))
            let next = try answer(on: peer)
            #expect(next.parts.count == 1 && next.parts[0].1.reply.plainText.split(separator: "\n").count == 3)
        }
    }
}

// MARK: The client's waits, against a daemon played by the test

/// A daemon played by the test on one end of a socket pair: it answers the hello, then `script`
/// speaks for it. The other end is for a `DaemonClient`.
func playedDaemon(_ script: @escaping @Sendable (FrameConnection) throws -> Void) throws -> (fd: Int32, daemon: Background) {
    var fds: [Int32] = [-1, -1]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { throw POSIXError(.EMFILE) }
    let connection = FrameConnection(fd: fds[0])
    let daemon = Background {
        guard case .hello? = try connection.receive(ClientMessage.self, until: .now + .seconds(10)) else { throw WireError("no hello") }
        try connection.send(ServerMessage.welcome(protocol: Wire.version, pid: 1, prompt: "bandit> "))
        try script(connection)
    }
    return (fds[1], daemon)
}

/// A piece of text as a command's outcome.
func textPart(_ index: Int, _ text: String) -> ServerMessage {
    .part(index: index, outcome: Outcome(command: "c", reply: .text(text), error: nil, quit: false))
}

extension WireTests {
    @Suite("bounded waits and Ctrl-C in the client")
    struct ClientSide {
        @Test("Ctrl-C while the line runs: asked once, and the stopped command's reply still shows")
        func interruptWhileRunning() throws {
            let (fd, daemon) = try playedDaemon { connection in
                guard case .run? = try connection.receive(ClientMessage.self, until: .now + .seconds(10)),
                      case .interrupt? = try connection.receive(ClientMessage.self, until: .now + .seconds(10)) else {
                    throw WireError("no run, then interrupt")
                }
                try connection.send(textPart(0, "stopped after 3 days; 'resume 1' continues it"))
                try connection.send(ServerMessage.done(prompt: "bandit e> ", notices: ["a notice"]))
                // Nothing more from the client: one interrupt only.
                #expect(throws: WireError.self) { _ = try connection.receive(ClientMessage.self, until: .now + .milliseconds(200)) }
            }
            let client = try DaemonClient(fd: fd)
            var shown: [String] = []
            let notices = try client.run("runs 200000 days 14", progress: nil, interrupted: { true }) { _, part in
                shown.append(part.reply.plainText)
            }
            try daemon.wait()
            #expect(shown == ["stopped after 3 days; 'resume 1' continues it"])
            #expect(notices == ["a notice"] && client.prompt == "bandit e> ")
        }

        @Test("Ctrl-C during a long reply: the parts after it are not shown, and the next line is served")
        func interruptDuringReply() throws {
            let (fd, daemon) = try playedDaemon { connection in
                guard case .run? = try connection.receive(ClientMessage.self, until: .now + .seconds(10)) else { throw WireError("no run") }
                try connection.send(textPart(0, "first rows"))
                guard case .interrupt? = try connection.receive(ClientMessage.self, until: .now + .seconds(10)) else {
                    throw WireError("no interrupt")
                }
                // Parts already on their way when the interrupt came.
                try connection.send(textPart(0, "more rows"))
                try connection.send(ServerMessage.done(prompt: "bandit e> ", notices: []))
                guard case .run(let line)? = try connection.receive(ClientMessage.self, until: .now + .seconds(10)) else {
                    throw WireError("no second run")
                }
                try connection.send(textPart(0, "answer to \(line)"))
                try connection.send(ServerMessage.done(prompt: "bandit e> ", notices: []))
            }
            let client = try DaemonClient(fd: fd)
            var shown: [String] = []
            let start = ContinuousClock.now
            _ = try client.run("log 100000", progress: nil, interrupted: { !shown.isEmpty }) { _, part in
                shown.append(part.reply.plainText)
            }
            #expect(ContinuousClock.now - start < .seconds(2))
            #expect(shown == ["first rows"])
            let next = try client.run("log 3", progress: nil, interrupted: { false })
            #expect(next.map(\.reply.plainText) == ["answer to log 3"])
            try daemon.wait()
        }

        @Test("a daemon silent after Ctrl-C: the client gives up after its timeout, says so, and closes")
        func silentAfterInterrupt() throws {
            let sawEnd = Counter()
            let (fd, daemon) = try playedDaemon { connection in
                guard case .run? = try connection.receive(ClientMessage.self, until: .now + .seconds(10)),
                      case .interrupt? = try connection.receive(ClientMessage.self, until: .now + .seconds(10)) else {
                    throw WireError("no run, then interrupt")
                }
                if try connection.receive(ClientMessage.self, until: .now + .seconds(10)) == nil { sawEnd.add() }
            }
            let client = try DaemonClient(fd: fd, timeout: .seconds(1))
            let start = ContinuousClock.now
            #expect {
                _ = try client.run("runs 200000 days 14", progress: nil, interrupted: { true })
            } throws: { error in
                (error as? WireError)?.kind == .timedOut
                    && "\(error)" == "the daemon did not answer within 1 s after Ctrl-C; reconnecting on the next command"
            }
            let waited = ContinuousClock.now - start
            #expect(waited >= .milliseconds(900) && waited < .seconds(3))
            try daemon.wait()
            #expect(sawEnd.value == 1)
        }

        @Test("a daemon that accepts but never answers the hello: a clear error naming the socket, in time")
        func silentHello() throws {
            let directory = temporaryDirectory()
            let path = directory + "/banditd.sock"
            // Listening is enough: the kernel completes connections without accept().
            let listener = try UnixSocket.listen(at: path)
            defer { close(listener) }
            let fd = try UnixSocket.connect(to: path).get()
            let start = ContinuousClock.now
            #expect {
                _ = try DaemonClient(fd: fd, timeout: .seconds(1))
            } throws: { error in
                "\(error)".hasPrefix("banditd on \(path) did not answer the hello within 1 s") && (error as? WireError)?.kind == .timedOut
            }
            #expect(ContinuousClock.now - start < .seconds(3))
        }
    }
}

// MARK: The real daemon and the real client

extension WireTests {
    @Suite("the real daemon and the real client", .serialized)
    struct EndToEnd {
        static let setup = "new e; world features 5 actions 30; set decisions 100000; day"

        @Test("log 100000 (several MB) streams through the daemon and prints as --no-daemon prints it")
        func largeReply() throws {
            let directory = temporaryDirectory(), state = directory + "/state"
            defer { stopDaemon(state) }
            let line = "\(Self.setup); log 100000"
            let streamed = try bandit(["--state-dir", state, "-c", line], in: directory)
            let local = try bandit(["--no-daemon", "--state-dir", directory + "/local", "-c", line], in: directory)
            #expect(streamed.status == 0 && streamed.stderr.isEmpty, "\(streamed.stderr)")
            #expect(local.status == 0, "\(local.stderr)")
            #expect(streamed.stdout.utf8.count > 4_000_000)
            let lines = streamed.stdout.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.filter { $0.hasPrefix("  1  ") }.count == 100_000)
            #expect(streamed.stdout == local.stdout)
        }

        @Test("Ctrl-C during a long reply through the real daemon: back at once, and the connection answers the next line")
        func interruptLargeReply() throws {
            let directory = temporaryDirectory(), state = directory + "/state"
            defer { stopDaemon(state) }
            #expect(try bandit(["--state-dir", state, "-c", Self.setup], in: directory).status == 0)
            let client = try DaemonClient(fd: try UnixSocket.connect(to: state + "/banditd.sock").get())
            defer { client.bye() }
            #expect(try client.run("use e", progress: nil, interrupted: { false }).allSatisfy { $0.error == nil })
            // Timed from the Ctrl-C (sent once the first part is in), not from the line: how long the
            // daemon takes to build 100,000 rows depends on the machine (and ThreadSanitizer).
            var parts = 0
            var interruptedAt: ContinuousClock.Instant?
            _ = try client.run("log 100000", progress: nil, interrupted: { parts > 0 }) { _, part in
                #expect(part.error == nil)
                parts += 1
                if interruptedAt == nil { interruptedAt = .now }
            }
            let sent = try #require(interruptedAt)
            #expect(ContinuousClock.now - sent < .seconds(5))
            #expect(parts == 1)
            let next = try client.run("log 3", progress: nil, interrupted: { false })
            #expect(next.count == 1 && next[0].reply.plainText.split(separator: "\n").count == 4)
        }

        @Test("an unknown word of 1 MiB: a short error comes back, and nothing hangs")
        func hugeWord() throws {
            let directory = temporaryDirectory(), state = directory + "/state"
            defer { stopDaemon(state) }
            let word = "bogus" + String(repeating: "x", count: 1 << 20)
            let run = try bandit(["--state-dir", state], input: word + "\n", in: directory)
            #expect(run.status == 1)
            #expect(run.stderr.count < 300 && run.stderr.contains("unknown command: bogusxxx"), "\(run.stderr.prefix(300))")
            let client = try DaemonClient(fd: try UnixSocket.connect(to: state + "/banditd.sock").get())
            defer { client.bye() }
            let outcomes = try client.run("new a; \(word)", progress: nil, interrupted: { false })
            #expect(outcomes.count == 2)
            let failed = try #require(outcomes.last)
            #expect(failed.command.count == 81 && failed.command.hasSuffix("…"))
            #expect((failed.error?.count ?? 0) <= 200, "\(failed.error?.prefix(300) ?? "no error")")
            #expect(try client.run("experiments", progress: nil, interrupted: { false }).first?.error == nil)
        }

        @Test("a client of protocol 1 to 4 is refused with the version message")
        func olderVersions() throws {
            let directory = temporaryDirectory(), state = directory + "/state"
            defer { stopDaemon(state) }
            #expect(try bandit(["--state-dir", state, "-c", "experiments"], in: directory).status == 0)
            for version in 1..<Wire.version {
                let fd = try UnixSocket.connect(to: state + "/banditd.sock").get()
                #expect {
                    _ = try DaemonClient(fd: fd, protocolVersion: version)
                } throws: { error in
                    "\(error)".contains("protocol version \(version) is not spoken here") && "\(error)".contains("speaks \(Wire.version)")
                }
            }
        }
    }
}
