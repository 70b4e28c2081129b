// The socket protocol: length-prefixed JSON frames, a versioned hello, requests, replies in parts.

import BanditCommands
import Foundation

/// Version 4 of the protocol between `bandit` and `banditd`. (Version 3: a file's reply carries its
/// contents and no path, a plot for a file says `svg`; the client writes them at the paths its user
/// typed, which it reads in the line itself. Version 4: a table's cells are typed (`Cell`: text,
/// integers, numbers, pairs), so that the client can write them as JSON or CSV, and the `format`
/// reply sets how the client writes what follows.)
///
/// Frames: a 4-byte big-endian word, then N bytes (1 ≤ N ≤ 1 MiB). The word's top bit says that
/// more frames of the same message follow, its other 31 bits are N. A message is the UTF-8 JSON of
/// the payloads of its frames put together, at most 256 MiB; so a message of any size (a reply of
/// millions of rows, a plot of a long run) still travels in frames a reader can bound.
///
/// The client speaks first with `hello`; the daemon answers `welcome`, or `refused` and closes
/// (another protocol version, another user). Then the client sends `run` (a line of commands),
/// `complete` (tab completion), `interrupt` (Ctrl-C) or `bye`. The daemon answers a `run` with any
/// number of `progress` messages while the line runs, then each command's outcome in one or more
/// `part` messages (a long reply is cut so that the client prints as it arrives), then `done` with
/// the new prompt and the notices for the client. An `interrupt` (Ctrl-C) while the line runs
/// stops a long command at its next day boundary, and the parts, which say where it stopped,
/// still come; an `interrupt` that no command heeded, or that comes while the parts are being
/// sent, stops the parts, and `done` comes at once. A malformed or oversized message gets `error`
/// and the connection is closed.
public enum Wire {
    public static let version = 5
    public static let maximumFrame = 1 << 20
    /// The most a message may hold across its frames: far above any reply (100,000 log rows are
    /// about 5 MB), low enough that a broken or hostile peer cannot make the reader allocate without end.
    public static let maximumMessage = 256 << 20
    /// Set in a frame's length word when more frames of the same message follow.
    static let continuation: UInt32 = 0x8000_0000
    /// Most rows of a table in one part: the first rows print at once, and a part's overhead is nothing.
    static let rowsPerPart = 2_000
    /// About the most bytes of text in one part, for the same reasons.
    static let bytesPerPart = 256 << 10
    /// The longest error sentence sent back: errors are one line, whatever a command quoted in them.
    static let maximumError = 1_000
}

public enum ClientMessage: Codable, Sendable, Equatable {
    case hello(protocol: Int, client: String, workingDirectory: String)
    case run(line: String)
    case complete(line: String)
    case interrupt
    case bye
}

public enum ServerMessage: Codable, Sendable {
    case welcome(protocol: Int, pid: Int32, prompt: String)
    case refused(message: String)
    case progress(JobProgress)
    /// A piece of the outcome of the line's command number `index` (from 0). A command's pieces
    /// come in order, one after the other; printed in turn they read as its whole reply. Only the
    /// last piece of a command carries its `quit`.
    case part(index: Int, outcome: Outcome)
    /// The line is over: the prompt to show next, and one-line notices to print before it.
    case done(prompt: String, notices: [String])
    case completion(Completion)
    case error(message: String)
}

/// Why a connection failed, in a sentence.
public struct WireError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// The connection failed or the peer broke the protocol.
        case failed
        /// Nothing came before the deadline.
        case timedOut
        /// This side could not encode the message (it was not sent; the connection is fine).
        case unencodable
        /// The peer closed the connection before answering the hello (a daemon that was stopping).
        case closedBeforeHello
    }

    public let kind: Kind
    public let description: String

    public init(_ description: String, kind: Kind = .failed) {
        self.kind = kind
        self.description = description
    }
}

// MARK: Cutting replies into parts

extension Wire {
    /// The `part` messages of one command's outcome, in order: the reply cut where it can be
    /// (`pieces(of:)`), the command (and any word of it that the error quotes) at most 80
    /// characters, `quit` on the last part only.
    public static func parts(of outcome: Outcome, line: String) -> [Outcome] {
        let command = echo(outcome.command)
        let error = outcome.error.map { bounded($0, quoting: line) }
        let replies = error == nil ? pieces(of: outcome.reply) : [outcome.reply]
        guard !replies.isEmpty else { return [Outcome(command: command, reply: .empty, error: error, quit: outcome.quit)] }
        return replies.enumerated().map { index, reply in
            Outcome(command: command, reply: reply, error: error, quit: outcome.quit && index == replies.count - 1)
        }
    }

    /// A reply as pieces that, shown one after the other, print exactly as the whole: a sequence
    /// element by element, a table in runs of rows keeping its column widths, text by lines. A
    /// small reply is one piece; a plot request is never cut (multi-frame messages carry it).
    static func pieces(of reply: Reply) -> [Reply] {
        switch reply {
        case .sequence(let replies):
            guard estimatedSize(reply) > bytesPerPart else { return [reply] }
            return replies.flatMap(pieces(of:))
        case .table(let table):
            return table.chunked(rows: rowsPerPart).map(Reply.table)
        case .text(let text):
            guard text.utf8.count > bytesPerPart else { return [reply] }
            return lines(of: text, bytes: bytesPerPart).map(Reply.text)
        case .plot, .file, .format:
            return [reply]
        }
    }

    /// Text cut between lines into pieces of about `bytes` bytes. A piece ends only after `bytes`
    /// and before a non-empty line: a piece that is one empty line would print nothing, which
    /// would lose that blank line.
    static func lines(of text: String, bytes: Int) -> [String] {
        var pieces: [String] = []
        var current: [Substring] = []
        var size = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if size >= bytes && !line.isEmpty {
                pieces.append(current.joined(separator: "\n"))
                current = []
                size = 0
            }
            current.append(line)
            size += line.utf8.count + 1
        }
        pieces.append(current.joined(separator: "\n"))
        return pieces
    }

    /// Roughly how many bytes a reply prints: only to decide whether a sequence is worth cutting.
    static func estimatedSize(_ reply: Reply) -> Int {
        switch reply {
        case .text(let text): text.utf8.count
        case .table(let table): table.rows.reduce(0) { sum, row in row.reduce(sum + 2 * row.count) { $0 + $1.shown.utf8.count } }
        case .plot(let request): request.series.reduce(0) { $0 + 24 * $1.mean.count }
        case .file(let file): file.contents.utf8.count
        case .sequence(let replies): replies.reduce(0) { $0 + estimatedSize($1) }
        case .format: 0
        }
    }

    /// An error sentence that quotes at most 80 characters of each word of the user's line: a
    /// mistyped megabyte-long word must not come back whole. (Commands should quote through `echo`
    /// themselves; this holds at the boundary whatever they do.)
    static func bounded(_ error: String, quoting line: String) -> String {
        var sentence = error
        if sentence.utf8.count > 80 {
            let words: [String]
            do {
                words = try parseLine(line).flatMap(\.words)
            } catch {
                // The line did not parse, so no command ran to quote its words; the cap below holds.
                words = []
            }
            for word in words where word.utf8.count > 80 {
                let short = echo(word)
                guard short != word else { continue }
                // Some checks quote a word lowercased (policy names).
                for form in Set([word, word.lowercased()]) { sentence = sentence.replacingOccurrences(of: form, with: short) }
            }
        }
        return echo(sentence, limit: maximumError)
    }
}

// MARK: Frames

/// One end of a connection: messages in and out, in frames. Writes are serialised (several threads
/// send: a command's thread its parts, the serving thread its answers); reads belong to one thread.
public final class FrameConnection: @unchecked Sendable {
    public let fd: Int32
    /// Held while a message's frames are written, so that two messages never interleave.
    private let writeLock = NSLock()
    /// Immutable after init; JSONEncoder may be used from several threads at once.
    private let encoder = JSONEncoder()
    /// Used by the reading thread only.
    private let decoder = JSONDecoder()
    /// The largest message sent or received (smaller in tests, to try the bound cheaply).
    let maximumMessage: Int
    /// The bound, as a sentence says it.
    private var limit: String {
        maximumMessage % (1 << 20) == 0 ? "\(maximumMessage >> 20) MiB" : "\(maximumMessage) bytes"
    }

    public init(fd: Int32, maximumMessage: Int = Wire.maximumMessage) {
        self.fd = fd
        self.maximumMessage = maximumMessage
        // A plot of a run whose standard error is not a number must still go out, not fail to encode.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    }

    deinit { Foundation.close(fd) }

    /// Sends a message in as many frames as it needs. Throws a `WireError`: `.unencodable` when the
    /// message cannot be encoded or is over the bound (nothing was sent), `.failed` when the
    /// connection is gone.
    public func send<T: Encodable>(_ message: T) throws {
        let payload: Data
        do {
            payload = try encoder.encode(message)
        } catch {
            throw WireError("the message cannot be encoded: \(error)", kind: .unencodable)
        }
        guard payload.count <= maximumMessage else {
            throw WireError("a message of \(payload.count) bytes is over the \(limit) limit", kind: .unencodable)
        }
        writeLock.lock()
        defer { writeLock.unlock() }
        var start = 0
        repeat {
            let end = min(start + Wire.maximumFrame, payload.count)
            var word = UInt32(end - start)
            if end < payload.count { word |= Wire.continuation }
            var frame = Data(capacity: 4 + end - start)
            withUnsafeBytes(of: word.bigEndian) { frame.append(contentsOf: $0) }
            frame.append(payload[start..<end])
            try write(frame)
            start = end
        } while start < payload.count
    }

    private func write(_ frame: Data) throws {
        try frame.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Foundation.send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                if written < 0 {
                    if errno == EINTR { continue }
                    throw WireError("the connection closed (\(String(cString: strerror(errno))))")
                }
                offset += written
            }
        }
    }

    /// The next message, or nil when the other end closed the connection cleanly between messages.
    /// With a deadline, throws a `.timedOut` WireError when the whole message has not come by then.
    public func receive<T: Decodable>(_ type: T.Type, until deadline: ContinuousClock.Instant? = nil) throws -> T? {
        var payload = Data()
        var first = true
        while true {
            var header = Data()
            guard try read(4, into: &header, until: deadline, endAllowed: first) else { return nil }
            let word = header.withUnsafeBytes { UInt32(bigEndian: $0.loadUnaligned(as: UInt32.self)) }
            let length = Int(word & ~Wire.continuation)
            guard (1...Wire.maximumFrame).contains(length) else {
                throw WireError("a frame of \(length) bytes is outside 1 byte to 1 MiB")
            }
            // Checked before reading, so that an endless message is refused without holding it.
            guard payload.count + length <= maximumMessage else {
                throw WireError("a message of more than \(limit) is refused")
            }
            _ = try read(length, into: &payload, until: deadline, endAllowed: false)
            if word & Wire.continuation == 0 { break }
            first = false
        }
        do {
            return try decoder.decode(T.self, from: payload)
        } catch {
            throw WireError("what came is not a message of protocol \(Wire.version)")
        }
    }

    /// Whether something (a message, or the end of the stream) can be read within `timeout`.
    public func waitForInput(timeout: Duration) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(clamping: max(0, timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        while true {
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0 && errno == EINTR { continue }
            // An error on the socket is "ready" too: the read that follows reports it.
            return ready != 0
        }
    }

    /// Appends exactly `count` bytes to `buffer`; false when the stream ended cleanly before the
    /// first of them and `endAllowed`.
    private func read(_ count: Int, into buffer: inout Data, until deadline: ContinuousClock.Instant?, endAllowed: Bool) throws -> Bool {
        let start = buffer.count
        buffer.count += count
        var offset = 0
        while offset < count {
            if let deadline {
                let left = deadline - .now
                guard left > .zero, waitForInput(timeout: left) else { throw WireError("no answer in time", kind: .timedOut) }
            }
            let got = buffer.withUnsafeMutableBytes { Foundation.recv(fd, $0.baseAddress! + start + offset, count - offset, 0) }
            if got == 0 {
                if offset == 0 && endAllowed { return false }
                throw WireError("the connection closed inside a message")
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw WireError("the connection failed (\(String(cString: strerror(errno))))")
            }
            offset += got
        }
        return true
    }

    /// Stops both directions (wakes a reader blocked on this connection).
    public func shutdown() { _ = Foundation.shutdown(fd, Int32(SHUT_RDWR)) }
}

/// Unix-domain stream sockets.
public enum UnixSocket {
    static func address(_ path: String) throws -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw WireError("the socket path \(path) is too long for a Unix socket (108 bytes)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return address
    }

    /// A listening socket at `path`, 0600: bound under a umask that removes group and other access
    /// (so it is never more open than that), then set to 0600 exactly.
    public static func listen(at path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw WireError("cannot create a socket: \(String(cString: strerror(errno)))") }
        var address = try address(path)
        let previous = umask(0o177)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        umask(previous)
        // The umask is the process's: should another thread have changed it meanwhile, say it exactly.
        guard bound == 0, chmod(path, 0o600) == 0, Foundation.listen(fd, 64) == 0 else {
            let message = String(cString: strerror(errno))
            Foundation.close(fd)
            throw WireError("cannot listen on \(path): \(message)")
        }
        return fd
    }

    /// A connected socket, or the errno of the failure (ENOENT, ECONNREFUSED: nobody listens).
    public static func connect(to path: String) -> Result<Int32, POSIXError> {
        var address: sockaddr_un
        do {
            address = try self.address(path)
        } catch {
            // The only failure: the path does not fit in sun_path.
            return .failure(POSIXError(.ENAMETOOLONG))
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            let code = POSIXErrorCode(rawValue: errno) ?? .EIO
            Foundation.close(fd)
            return .failure(POSIXError(code))
        }
        return .success(fd)
    }

    /// The path a connected Unix socket's peer listens on, for messages; nil when unknown.
    static func peerPath(_ fd: Int32) -> String? {
        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let got = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard got == 0 else { return nil }
        let path = withUnsafeBytes(of: address.sun_path) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return path.isEmpty ? nil : path
    }
}
