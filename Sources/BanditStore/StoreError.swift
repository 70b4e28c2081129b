// Everything the store can refuse, each as one sentence that names the file and says what to do.

/// A store failure. Nothing is overwritten or lost when one is thrown: writes roll back.
public enum StoreError: Error, CustomStringConvertible, Equatable, Sendable {
    case notADatabase(path: String)
    case notBandit(path: String)
    case newerSchema(path: String, found: Int, supported: Int)
    case readOnly(path: String)
    case inUse(path: String, holder: String)
    case full(path: String)
    case io(path: String, detail: String)
    case cannotOpen(path: String, detail: String)
    case corrupt(path: String, detail: String)
    /// `PRAGMA quick_check` found the file damaged as the store opened it (its first problems, and
    /// whether it stopped before the last): refused.
    case damagedOnOpen(path: String, problems: [String], more: Bool)
    /// SQLite met a damaged page while the store served: no write is attempted from then on.
    case damaged(path: String, detail: String)
    /// `check` (`PRAGMA integrity_check`) found problems: its first ones, and whether there are more.
    case failedCheck(path: String, problems: [String], more: Bool)
    case noSuchExperiment(String)
    case experimentExists(String)
    case noSuchRun(Int64)
    case noSuchJob(Int64)
    case closed(path: String)
    case database(path: String, detail: String)
    /// A sweep plan already merged in full into the experiment, as job `job`.
    case sweepMerged(plan: String, job: Int64)

    public var description: String {
        switch self {
        case .notADatabase(let path):
            "\(path) is not a SQLite database; move it away or choose another state directory (nothing was changed)"
        case .notBandit(let path):
            "\(path) is a SQLite database but not a bandit store; move it away or choose another state directory (nothing was changed)"
        case .newerSchema(let path, let found, let supported):
            "\(path) has schema version \(found), newer than this bandit's \(supported); upgrade bandit to use it (nothing was changed)"
        case .readOnly(let path):
            "\(path) is read-only; give this user write permission on it and its directory, or choose another state directory"
        case .inUse(let path, let holder):
            "\(path) is in use by another bandit daemon (\(holder)); stop it, or choose another state directory"
        case .full(let path):
            "\(path): the disk is full; the last change was rolled back, nothing committed was lost; free some space and retry"
        case .io(let path, let detail):
            "\(path): I/O error (\(detail)); the last change was rolled back; check the disk and retry"
        case .cannotOpen(let path, let detail):
            "cannot open \(path) (\(detail)); check that the directory exists and is writable"
        case .corrupt(let path, let detail):
            "\(path) holds inconsistent data (\(detail)); restore a backup or move it away"
        case .damagedOnOpen(let path, let problems, let more):
            "\(path) is damaged and was not opened (PRAGMA quick_check: \(Self.list(problems, shown: 3, more: more))); nothing was written to it; "
                + Self.recovery(path)
        case .damaged(let path, let detail):
            "the store \(path) is damaged (\(detail)): it writes nothing more; 'check' lists the problems; " + Self.recovery(path)
        case .failedCheck(let path, let problems, let more):
            "\(path) is damaged (PRAGMA integrity_check: \(Self.list(problems, shown: problems.count, more: more))): the store writes nothing more; "
                + Self.recovery(path)
        case .noSuchExperiment(let name): "no experiment named '\(name)'"
        case .experimentExists(let name):
            "an experiment named '\(name)' already exists: 'use \(name)' works on it, 'new \(name) replace' starts it over"
        case .noSuchRun(let id): "no run \(id)"
        case .noSuchJob(let id): "no job \(id)"
        case .closed(let path): "\(path) is closed"
        case .database(let path, let detail): "\(path): \(detail)"
        case .sweepMerged(let plan, let job): "plan \(plan) is merged already, as job \(job): 'sweep merge DIR as NAME' merges it into another experiment"
        }
    }

    /// Problems a check reported, in one line: the first `shown`, and whether there are more (a
    /// check stops at its limit, so beyond it their number is unknown).
    private static func list(_ problems: [String], shown: Int, more: Bool) -> String {
        let rest = problems.count - min(problems.count, shown)
        let listed = problems.prefix(shown).joined(separator: "; ")
        return listed + (more ? "; and more" : rest > 0 ? "; and \(rest) more" : "")
    }

    /// How to get back what a damaged file still holds, in one sentence (banditd(8) has the steps).
    public static func recovery(_ path: String) -> String {
        let recovered = (path.lastIndex(of: "/").map { String(path[...$0]) } ?? "") + "recovered.db"
        return "recover what is readable with \"sqlite3 \(shellQuoted(path)) .recover | sqlite3 \(shellQuoted(recovered))\", "
            + "then, with no daemon running, move the damaged file aside and recovered.db in its place (banditd(8), RECOVERY)"
    }

    /// A path as a shell reads it back: in single quotes when it holds anything but plain characters.
    private static func shellQuoted(_ path: String) -> String {
        let plain = path.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "/._-+,:@%".contains($0)) }
        return plain ? path : "'" + path.map { $0 == "'" ? "'\\''" : String($0) }.joined() + "'"
    }
}
