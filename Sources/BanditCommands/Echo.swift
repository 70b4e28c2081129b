// Quoting the user's own text back in a message, bounded so that a huge word cannot flood a reply.

/// `text` as typed when it is at most `limit` characters long, else its first `limit` characters
/// and `…`: an error that quotes a mistyped megabyte-long word should still fit on a line.
///
/// Counted in characters so that an accent or an emoji is never cut in two, but also bounded in
/// Unicode scalars (4 per character): one "character" can be a letter with a million combining marks.
public func echo(_ text: String, limit: Int = 80) -> String {
    guard let cut = text.index(text.startIndex, offsetBy: limit, limitedBy: text.endIndex), cut < text.endIndex else {
        return text.unicodeScalars.count <= 4 * limit ? text : bounded(text, scalars: 4 * limit)
    }
    let kept = text[..<cut]
    return kept.unicodeScalars.count <= 4 * limit ? kept + "…" : bounded(text, scalars: 4 * limit)
}

/// The first `scalars` Unicode scalars and `…`.
private func bounded(_ text: String, scalars: Int) -> String {
    String(String.UnicodeScalarView(text.unicodeScalars.prefix(scalars))) + "…"
}
