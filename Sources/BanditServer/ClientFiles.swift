// The files the client writes: at the paths its user typed, never at one the daemon names.

import BanditCommands
import Foundation

/// A file's contents the client will not write: their command names no file (or its file was written).
public struct RefusedFile: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// The files one line may write, as the client reads them in the line it sends (`Command.outputFiles`),
/// resolved against the client's own working directory. The daemon sends only contents, for command
/// `index` of the line; each path goes to the first contents of its command, and contents for any
/// other command are refused. So a daemon, honest or not, cannot choose where the client writes.
/// Owned by the thread that shows the line's replies.
public struct ClientFiles: Sendable {
    /// The paths not yet written, by the index of their command in the line.
    private var paths: [Int: String]

    public init(line: String, workingDirectory: String = FileManager.default.currentDirectoryPath) {
        paths = Command.outputFiles(in: line).mapValues { Self.resolve($0, in: workingDirectory) }
    }

    /// Where the contents sent for command `index` go; each path is given out once.
    public mutating func path(for index: Int) throws(RefusedFile) -> String {
        guard let path = paths.removeValue(forKey: index) else {
            throw RefusedFile(description: "the daemon sent a file's contents, but this command names no file to write: nothing was written")
        }
        return path
    }

    /// An absolute path for a file the user named: `~` is the user's home, a relative path is taken
    /// from `directory`.
    static func resolve(_ path: String, in directory: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        return expanded.hasPrefix("/") ? expanded : (directory as NSString).appendingPathComponent(expanded)
    }
}
