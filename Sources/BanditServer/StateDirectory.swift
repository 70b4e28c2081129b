// Who owns the state directory and who may read it: the daemon makes it private, the client refuses one that is not.

import Foundation

/// Why a state directory or a file in it cannot be used, in one sentence naming it and what to do.
public struct StateDirectoryError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// The state directory holds every experiment and the socket that commands go through, so only its
/// owner may read it or write to it: directories 0700, files 0600, whatever the umask.
///
/// The daemon, which runs as the directory's owner, makes it so (`prepare`), and says when it had to.
/// The client refuses a directory of another user, or one that group or others can write
/// (`check`): anyone who can write there can put a socket of their own in place of the daemon's,
/// and changing its mode now would not take out what they may have put there already.
public enum StateDirectory {
    /// Creates `path` (and its parents) 0700, or makes an existing directory of this user 0700.
    /// Returns a sentence to log when the mode had to change; refuses a directory of another user.
    public static func prepare(_ path: String) throws(StateDirectoryError) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            guard errno == ENOENT else { throw unreadable(path) }
            try create(path)
            return nil
        }
        try requireDirectory(path, info)
        try requireOwner(path, info, remedy: "run banditd as that user, or give another directory with --state-dir")
        let mode = info.st_mode & 0o7777
        guard mode & 0o077 != 0 else { return nil }
        guard chmod(path, 0o700) == 0 else {
            throw StateDirectoryError(description: "cannot make the state directory \(path) private (chmod 700): \(reason())")
        }
        return "the state directory \(path) was mode \(octal(mode)), open to other users: now 0700"
    }

    /// The client's check before it trusts a socket in `path`: a directory of this user that
    /// neither group nor others can write.
    public static func check(_ path: String) throws(StateDirectoryError) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw unreadable(path) }
        try requireDirectory(path, info)
        try requireOwner(path, info, remedy: "use a state directory of your own (--state-dir DIR)")
        let mode = info.st_mode & 0o7777
        guard mode & 0o022 == 0 else {
            throw StateDirectoryError(description: """
                the state directory \(path) is writable by \(mode & 0o002 != 0 ? "others" : "its group") (mode \(octal(mode))), \
                so another user could have put a socket there: check what is in it, then 'chmod 700 \(path)'
                """)
        }
    }

    /// Makes an existing file private (0600); a sentence to log when its mode changed, nil when it
    /// was private already or does not exist.
    static func makePrivate(file path: String) throws(StateDirectoryError) -> String? {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            guard errno == ENOENT else { throw unreadable(path) }
            return nil
        }
        let mode = info.st_mode & 0o7777
        guard mode & 0o077 != 0 else { return nil }
        guard chmod(path, 0o600) == 0 else {
            throw StateDirectoryError(description: "cannot make \(path) private (chmod 600): \(reason())")
        }
        return "\(path) was mode \(octal(mode)): now 0600"
    }

    /// Writes `text` to `path` whole (through a file beside it, renamed), mode 0600 whatever the umask.
    static func writePrivate(_ text: String, to path: String) throws(StateDirectoryError) {
        let temporary = path + ".new"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw StateDirectoryError(description: "cannot write \(path): \(reason())") }
        let bytes = Array(text.utf8)
        let written = write(fd, bytes, bytes.count)
        let failure = written == bytes.count && fchmod(fd, 0o600) == 0 ? nil : reason()
        close(fd)
        guard failure == nil, rename(temporary, path) == 0 else {
            let detail = failure ?? reason()
            unlink(temporary)
            throw StateDirectoryError(description: "cannot write \(path): \(detail)")
        }
    }

    private static func create(_ path: String) throws(StateDirectoryError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw StateDirectoryError(description: "cannot create the state directory \(path): \(fileErrorReason(error, path: path, creating: true))")
        }
        // The attributes pass through the umask on some platforms: say it once more, exactly.
        guard chmod(path, 0o700) == 0 else {
            throw StateDirectoryError(description: "cannot make the state directory \(path) private (chmod 700): \(reason())")
        }
    }

    private static func requireDirectory(_ path: String, _ info: stat) throws(StateDirectoryError) {
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw StateDirectoryError(description: "the state directory \(path) is not a directory")
        }
    }

    private static func requireOwner(_ path: String, _ info: stat, remedy: String) throws(StateDirectoryError) {
        guard info.st_uid == geteuid() else {
            throw StateDirectoryError(description: "the state directory \(path) belongs to uid \(info.st_uid), not to you (uid \(geteuid())): \(remedy)")
        }
    }

    private static func unreadable(_ path: String) -> StateDirectoryError {
        StateDirectoryError(description: "cannot read the state directory \(path): \(reason())")
    }

    private static func reason() -> String { String(cString: strerror(errno)) }

    private static func octal(_ mode: mode_t) -> String { "0" + String(mode, radix: 8) }
}
