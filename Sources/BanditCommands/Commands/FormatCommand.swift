// format: how replies are written for the rest of the session (sqlite3's `.mode`).

import BanditCore

enum FormatCommand {
    static let format = Argument<OutputFormat>.choice("FORMAT", help: "table, json or csv")

    static let command = Command(
        "format", arguments: [format],
        summary: "write replies as aligned tables, JSON or CSV",
        details: """
            Sets how the replies of the commands that follow are written, for the rest of the session \
            (as the option --format does from the start): 'table' aligns them for people; 'json' writes \
            one object per line for each table or text of a reply ({"command", "title", "columns", "rows", \
            "footer"} or {"command", "text"}), numbers as JSON numbers; 'csv' writes each table as a header \
            row and its rows (RFC 4180 quoting; a blank line between tables) and text as it is. A mean \
            ± its error is two columns (NAME and NAME se), a job's progress two (days done, days total). \
            Errors go to standard error in every format.
            """,
        examples: ["format json", "format csv", "format table"], handler: run)

    static func run(_ call: inout Invocation) throws -> Reply {
        // The client renders: the daemon only hands the choice back, and the client keeps it.
        .format(call[Self.format])
    }
}
