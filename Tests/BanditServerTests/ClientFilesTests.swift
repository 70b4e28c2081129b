// The client writes only the files its user typed: the pairing, and the real bandit against a lying daemon.

import BanditCommands
@testable import BanditServer
import BanditTestSupport
import Foundation
import Testing

/// A daemon played by the test on `state`'s socket, for the real `bandit`: it welcomes one client,
/// answers its first line with `messages` (raw JSON, one frame each), then `done`, and waits for
/// the client's bye. Gives up after 10 s without a client.
func playSocketDaemon(state: String, messages: [String]) throws -> Background {
    try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    let listener = try UnixSocket.listen(at: state + "/" + Daemon.socketName)
    return Background {
        defer { close(listener) }
        var pending = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard poll(&pending, 1, 10_000) == 1 else { throw WireError("no client came") }
        let connection = FrameConnection(fd: accept(listener, nil, nil))
        guard case .hello? = try connection.receive(ClientMessage.self, until: .now + .seconds(10)) else { throw WireError("no hello") }
        try connection.send(ServerMessage.welcome(protocol: Wire.version, pid: getpid(), prompt: "bandit> "))
        guard case .run? = try connection.receive(ClientMessage.self, until: .now + .seconds(10)) else { throw WireError("no line") }
        for message in messages { writeRaw(connection, lengthWord(UInt32(message.utf8.count)) + Array(message.utf8)) }
        try connection.send(ServerMessage.done(prompt: "bandit> ", notices: []))
        _ = try connection.receive(ClientMessage.self, until: .now + .seconds(10))
    }
}

/// The JSON of a part carrying `reply` for command 0, with `"path": path` slipped into its file or
/// plot, as a daemon that wants to choose where the client writes would send it.
func partNaming(_ path: String, reply: Reply, command: String) throws -> String {
    let message = ServerMessage.part(index: 0, outcome: Outcome(command: command, reply: reply, error: nil, quit: false))
    let json = String(decoding: try JSONEncoder().encode(message), as: UTF8.self)
    let key = json.contains(#""contents":"#) ? #""contents":"# : #""title":"#
    let forged = json.replacingOccurrences(of: key, with: #""path":"\#(path)","file":"\#(path)","# + key)
    #expect(forged != json)
    return forged
}

@Suite("files the client writes", .serialized)
struct ClientFilesTests {
    @Test("the files of a line are the ones its user typed, found with the daemon's table and binding")
    func typedFiles() {
        #expect(Command.outputFiles(in: "stats; export curves a.csv; plot b.svg greedy") == [1: "a.csv", 2: "b.svg"])
        #expect(Command.outputFiles(in: "expo days 'my file.csv' # a comment") == [0: "my file.csv"])
        // A plot without FILE draws on the terminal: nothing to write.
        #expect(Command.outputFiles(in: "plot greedy ts:30; plot").isEmpty)
        // The daemon stops the line at a command that does not bind: nothing after it runs.
        #expect(Command.outputFiles(in: "bogus; export curves a.csv").isEmpty)
        #expect(Command.outputFiles(in: "export curves; plot c.svg").isEmpty)
        #expect(Command.outputFiles(in: "export curves 'unterminated").isEmpty)
    }

    @Test("each typed path goes once, to its own command's contents; contents for a command that typed none are refused")
    func pairing() throws {
        var files = ClientFiles(line: "stats; export curves a.csv; plot ~/b.svg; plot /tmp/c.svg", workingDirectory: "/home/me")
        #expect(throws: RefusedFile.self) { try files.path(for: 0) }
        #expect(try files.path(for: 1) == "/home/me/a.csv")
        #expect(throws: RefusedFile.self) { try files.path(for: 1) }
        #expect(try files.path(for: 2) == NSHomeDirectory() + "/b.svg")
        #expect(try files.path(for: 3) == "/tmp/c.svg")
        #expect(throws: RefusedFile.self) { try files.path(for: 4) }
        #expect {
            try files.path(for: 0)
        } throws: { error in
            "\(error)" == "the daemon sent a file's contents, but this command names no file to write: nothing was written"
        }
    }

    @Test("a daemon sending a file or an SVG for a command that names none, with a path of its own, gets nothing written",
          arguments: ["experiments", "plot"])
    func unaskedFileRefused(line: String) throws {
        let directory = temporaryDirectory(), state = directory + "/state", victim = directory + "/victim"
        try "untouched\n".write(toFile: victim, atomically: false, encoding: .utf8)
        let reply: Reply = line == "plot"
            ? .plot(try JSONDecoder().decode(PlotRequest.self, from: Data(#"{"title":"t","series":[],"svg":true}"#.utf8)))
            : .file(FileReply(contents: "written by the daemon\n", summary: "1 rows"))
        let daemon = try playSocketDaemon(state: state, messages: [try partNaming(victim, reply: reply, command: line)])
        let run = try bandit(["--state-dir", state, "-c", line], in: directory)
        try daemon.wait()
        #expect(run.status == 1)
        #expect(run.stderr.contains("bandit: \(line): the daemon sent a file's contents, but this command names no file to write"),
                "\(run.stderr)")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "untouched\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["state", "victim"])
    }

    @Test("a file the user typed is written there, relative to the client's directory, whatever path the daemon names")
    func typedFileWritten() throws {
        let directory = temporaryDirectory(), state = directory + "/state", victim = directory + "/victim"
        try "untouched\n".write(toFile: victim, atomically: false, encoding: .utf8)
        let reply = Reply.file(FileReply(contents: "policy,day\n", summary: "0 rows"))
        let daemon = try playSocketDaemon(state: state, messages: [try partNaming(victim, reply: reply, command: "export curves mine.csv")])
        let run = try bandit(["--state-dir", state, "-c", "export curves mine.csv"], in: directory)
        try daemon.wait()
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "wrote 0 rows to \(directory)/mine.csv\n")
        #expect(try String(contentsOfFile: directory + "/mine.csv", encoding: .utf8) == "policy,day\n")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "untouched\n")
    }
}
