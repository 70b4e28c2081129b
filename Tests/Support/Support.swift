// Shared by the test targets: temporary state directories, the built executables, real processes.

import Foundation

/// A fresh directory per test (tests run in parallel).
public func temporaryDirectory(_ label: String = #function) -> String {
    let path = NSTemporaryDirectory() + "bandit-\(label.prefix(20).filter(\.isLetter))-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

public struct MissingExecutable: Error, CustomStringConvertible {
    public let description: String
}

/// An executable of this package (`bandit`, `banditd`) built next to the running test bundle.
public func builtExecutable(_ name: String) throws -> String {
    let tests = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = tests.deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    throw MissingExecutable(description: "\(name) not found next to \(tests.path)")
}

/// Runs a program to completion: its status, standard output and standard error.
@discardableResult
public func runProgram(_ executable: String, _ arguments: [String], input: String? = nil, directory: String? = nil,
                       environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    // This process's environment with `environment` over it.
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let output = Pipe(), errors = Pipe(), feed = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = input == nil ? FileHandle.nullDevice : feed
    try process.run()
    if let input {
        feed.fileHandleForWriting.write(Data(input.utf8))
        try feed.fileHandleForWriting.close()
    }
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
}

/// The pid in a state directory's banditd.pid, if any.
public func daemonPID(_ stateDirectory: String) -> pid_t? {
    guard let text = try? String(contentsOfFile: stateDirectory + "/banditd.pid", encoding: .utf8) else { return nil }
    return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
}

/// Stops the daemon of a state directory (SIGTERM via its pid file) and waits until it is gone.
public func stopDaemon(_ stateDirectory: String) {
    guard let pid = daemonPID(stateDirectory) else { return }
    kill(pid, SIGTERM)
    for _ in 0..<500 where kill(pid, 0) == 0 { usleep(20_000) }
}

/// The bytes of a file, to prove a refusal left it untouched (nil when there is no such file).
public func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

public struct WriteFailed: Error, CustomStringConvertible {
    public let description: String
}

/// Writes a page of noise over page `page` (1-based) of a SQLite file, as a bad disk or a stray
/// program would; from a fixed seed, so that every run of a test meets the same damage. Another
/// process (dd) writes it: closing a descriptor of the file here would drop the POSIX locks that
/// SQLite holds on it in this process.
public func writeNoise(_ path: String, page: Int, pageSize: Int) throws {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    let noise = (0..<pageSize).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 56)
    }
    let noiseFile = temporaryDirectory("noise") + "/page"
    guard FileManager.default.createFile(atPath: noiseFile, contents: Data(noise)) else {
        throw WriteFailed(description: "cannot write \(noiseFile)")
    }
    let (status, _, stderr) = try runProgram("/bin/dd", ["if=\(noiseFile)", "of=\(path)", "bs=\(pageSize)", "seek=\(page - 1)",
                                                         "count=1", "conv=notrunc", "status=none"])
    guard status == 0 else { throw WriteFailed(description: "dd could not write page \(page) of \(path): \(stderr)") }
}

/// A file's SHA-256, or nil when there is no such file, to prove a file unchanged while a store in
/// this process has it open: another process reads it, as reading it here would drop SQLite's locks
/// (see `writeNoise`).
public func digest(_ path: String) throws -> String? {
    guard FileManager.default.fileExists(atPath: path) else { return nil }
    let (status, stdout, stderr) = try runProgram("/usr/bin/sha256sum", [path])
    guard status == 0, let hash = stdout.split(separator: " ").first else {
        throw WriteFailed(description: "sha256sum \(path) failed: \(stderr)")
    }
    return String(hash)
}
