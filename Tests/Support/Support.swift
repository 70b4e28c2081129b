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
public func runProgram(_ executable: String, _ arguments: [String], input: String? = nil,
                       directory: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
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
