// The socket protocol: length-prefixed JSON frames, a versioned hello, requests and replies.

import BanditCommands
import Foundation

/// Version 1 of the protocol between `bandit` and `banditd`.
///
/// Frames: a 4-byte big-endian length N (1 ≤ N ≤ 1 MiB), then N bytes of UTF-8 JSON, one message
/// per frame. The client speaks first with `hello`; the daemon answers `welcome`, or `refused` and
/// closes (another protocol version, another user). Then the client sends `run` (a line of commands),
/// `complete` (tab completion), `interrupt` (Ctrl-C: stop the running command at its next day
/// boundary) or `bye`; the daemon answers a `run` with any number of `progress` frames and one
/// `result`. A malformed or oversized frame gets `error` and the connection is closed.
public enum Wire {
    public static let version = 1
    public static let maximumFrame = 1 << 20
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
    case result(outcomes: [Outcome], prompt: String)
    case completion(Completion)
    case error(message: String)
}

/// Why a connection failed, in a sentence.
public struct WireError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One end of a connection: frames in and out. Writes are serialised; reads belong to one thread.
public final class FrameConnection: @unchecked Sendable {
    public let fd: Int32
    private let writeLock = NSLock()
    private let encoder = JSONEncoder()
    private let decoder = JSONDecoder()

    public init(fd: Int32) { self.fd = fd }

    deinit { Foundation.close(fd) }

    public func send<T: Encodable>(_ message: T) throws {
        let payload = try encoder.encode(message)
        guard payload.count <= Wire.maximumFrame else { throw WireError("a message of \(payload.count) bytes is over the 1 MiB frame limit") }
        var frame = Data(capacity: 4 + payload.count)
        let length = UInt32(payload.count).bigEndian
        withUnsafeBytes(of: length) { frame.append(contentsOf: $0) }
        frame.append(payload)
        writeLock.lock()
        defer { writeLock.unlock() }
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

    /// The next message, or nil when the other end closed the connection cleanly.
    public func receive<T: Decodable>(_ type: T.Type) throws -> T? {
        guard let header = try read(4) else { return nil }
        let length = header.withUnsafeBytes { Int(UInt32(bigEndian: $0.loadUnaligned(as: UInt32.self))) }
        guard (1...Wire.maximumFrame).contains(length) else {
            throw WireError("a frame of \(length) bytes is outside 1 byte to 1 MiB")
        }
        guard let payload = try read(length) else { throw WireError("the connection closed inside a frame") }
        do {
            return try decoder.decode(T.self, from: payload)
        } catch {
            throw WireError("a frame is not a message of protocol \(Wire.version)")
        }
    }

    /// Exactly `count` bytes; nil at a clean end of stream before the first byte.
    private func read(_ count: Int) throws -> Data? {
        var data = Data(count: count)
        var offset = 0
        while offset < count {
            let got = data.withUnsafeMutableBytes { Foundation.recv(fd, $0.baseAddress! + offset, count - offset, 0) }
            if got == 0 {
                if offset == 0 { return nil }
                throw WireError("the connection closed inside a frame")
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw WireError("the connection failed (\(String(cString: strerror(errno))))")
            }
            offset += got
        }
        return data
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

    /// A listening socket at `path`, created 0600 (under a umask that removes group and other access).
    public static func listen(at path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw WireError("cannot create a socket: \(String(cString: strerror(errno)))") }
        var address = try address(path)
        let previous = umask(0o177)
        defer { umask(previous) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, Foundation.listen(fd, 64) == 0 else {
            let message = String(cString: strerror(errno))
            Foundation.close(fd)
            throw WireError("cannot listen on \(path): \(message)")
        }
        return fd
    }

    /// A connected socket, or the errno of the failure (ENOENT, ECONNREFUSED: nobody listens).
    public static func connect(to path: String) -> Result<Int32, POSIXError> {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)) }
        guard var address = try? address(path) else {
            Foundation.close(fd)
            return .failure(POSIXError(.ENAMETOOLONG))
        }
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
}
