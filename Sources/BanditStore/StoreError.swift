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
    case noSuchExperiment(String)
    case experimentExists(String)
    case noSuchRun(Int64)
    case noSuchJob(Int64)
    case closed(path: String)
    case database(path: String, detail: String)

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
        case .noSuchExperiment(let name): "no experiment named '\(name)'"
        case .experimentExists(let name): "an experiment named '\(name)' already exists"
        case .noSuchRun(let id): "no run \(id)"
        case .noSuchJob(let id): "no job \(id)"
        case .closed(let path): "\(path) is closed"
        case .database(let path, let detail): "\(path): \(detail)"
        }
    }
}
