// Why a file could not be read, written or made, in the system's words for the path the user gave.

import Foundation

/// The reason a file operation on `path` failed: the system's own words (strerror), never
/// Foundation's "NSCocoaErrorDomain error 512" or "The file doesn't exist." for a missing directory.
/// `creating`: the operation makes missing directories itself, so a missing parent is no reason.
public func fileErrorReason(_ error: any Error, path: String, creating: Bool = false) -> String {
    let error = error as NSError
    // A missing directory on the way is what the user must fix, not the file.
    let parent = (path as NSString).deletingLastPathComponent
    var isDirectory: ObjCBool = false
    if !creating, !parent.isEmpty {
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory) else { return "the directory \(parent) does not exist" }
        if !isDirectory.boolValue { return "\(parent) is not a directory" }
    }
    if let code = posixCode(of: error) { return String(cString: strerror(code)) }
    switch CocoaError.Code(rawValue: error.code) {
    case .fileNoSuchFile, .fileReadNoSuchFile: return String(cString: strerror(ENOENT))
    case .fileReadNoPermission, .fileWriteNoPermission: return String(cString: strerror(EACCES))
    case .fileWriteOutOfSpace: return String(cString: strerror(ENOSPC))
    case .fileWriteVolumeReadOnly: return String(cString: strerror(EROFS))
    case .fileReadInapplicableStringEncoding, .fileReadCorruptFile: return "not UTF-8 text"
    default: return obstacle(on: path) ?? "error \(error.code) (\(error.domain))"
    }
}

/// What stands in the way of `path` when Foundation did not say: the nearest existing ancestor,
/// when it is not a directory or this user cannot write in it.
private func obstacle(on path: String) -> String? {
    var ancestor = (path as NSString).deletingLastPathComponent
    while !ancestor.isEmpty && !FileManager.default.fileExists(atPath: ancestor) {
        ancestor = (ancestor as NSString).deletingLastPathComponent
    }
    guard !ancestor.isEmpty else { return nil }
    var isDirectory: ObjCBool = false
    _ = FileManager.default.fileExists(atPath: ancestor, isDirectory: &isDirectory)
    if !isDirectory.boolValue { return "\(ancestor) is not a directory" }
    if access(ancestor, W_OK) != 0 { return "\(ancestor): \(String(cString: strerror(errno)))" }
    return nil
}

/// The errno behind an error, when Foundation kept it (directly or as the underlying error).
private func posixCode(of error: NSError) -> Int32? {
    if error.domain == NSPOSIXErrorDomain { return Int32(error.code) }
    guard let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError else { return nil }
    return posixCode(of: underlying)
}
