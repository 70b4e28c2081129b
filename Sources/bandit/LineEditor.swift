// The interactive REPL on GNU readline: prompt, history, tab completion, Ctrl-C and Ctrl-D.

import BanditCommands
import BanditServer
import CReadline
import Foundation

/// readline calls plain C functions, so what they need lives here, set up by `LineEditor.run`.
private enum Shared {
    nonisolated(unsafe) static var completedLine: String?
    nonisolated(unsafe) static var endOfInput = false
    nonisolated(unsafe) static var candidates: [String] = []
    nonisolated(unsafe) static var candidateIndex = 0
    nonisolated(unsafe) static var complete: (String) -> Completion = { _ in Completion(candidates: [], files: false) }
}

struct LineEditor {
    let runner: Runner
    let historyFile: String
    /// Where the current experiment is kept for the next REPL (`LastExperiment`).
    let lastExperimentFile: String
    var format: OutputFormat = .table

    /// Reads and runs commands until `quit` or Ctrl-D; returns the exit status.
    func run() -> Int32 {
        var output = Output(terminal: true, format: format)
        let runner = runner
        Shared.complete = { runner.complete($0) }
        // readline keeps these pointers: the strings must outlive it (strdup, never freed).
        bandit_rl_set_name(strdup("bandit"))
        bandit_rl_catch_signals(0)
        bandit_rl_set_word_breaks(strdup(" \t\n;"))
        bandit_rl_set_completion(complete)
        using_history()
        stifle_history(2000)
        if !FileManager.default.fileExists(atPath: historyFile) {
            _ = FileManager.default.createFile(atPath: historyFile, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        read_history(historyFile)
        print("bandit — type 'help' for the commands, Ctrl-D to leave")
        var remembered = LastExperiment(file: lastExperimentFile, name: Interpreter.experiment(inPrompt: runner.prompt))
        while true {
            guard let line = readLine(prompt: runner.prompt) else {
                print("")
                return 0
            }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            add_history(trimmed)
            append_history(1, historyFile)
            if showHistory(trimmed) { continue }
            Interrupts.clear()
            var quit = false, shown = false
            var files = ClientFiles(line: trimmed)
            let notices = runner.run(trimmed, progress: output.progressSink(), shouldStop: Interrupts.requested) { index, piece in
                if !shown { output.endProgress() }
                shown = true
                if let error = piece.error ?? output.show(piece, command: index, files: &files) {
                    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                }
                if piece.quit { quit = true }
            }
            if !shown { output.endProgress() }
            for notice in notices { print(notice) }
            fflush(nil)
            remembered.note(Interpreter.experiment(inPrompt: runner.prompt))
            if quit { return 0 }
            Interrupts.clear()
        }
    }

    /// One line through readline's callback interface, so that Ctrl-C (via the interrupt pipe)
    /// clears the line instead of killing the program. nil at end of input (Ctrl-D).
    private func readLine(prompt: String) -> String? {
        Shared.completedLine = nil
        Shared.endOfInput = false
        bandit_rl_install(prompt) { line in
            if let line {
                Shared.completedLine = String(cString: line)
                free(line)
            } else {
                Shared.endOfInput = true
            }
            rl_callback_handler_remove()
        }
        defer { rl_callback_handler_remove() }
        var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: Interrupts.pipe, events: Int16(POLLIN), revents: 0)]
        while Shared.completedLine == nil && !Shared.endOfInput {
            fds[0].revents = 0
            fds[1].revents = 0
            guard poll(&fds, 2, -1) >= 0 || errno == EINTR else { return nil }
            if fds[1].revents & Int16(POLLIN) != 0 {
                Interrupts.clear()
                bandit_rl_interrupt_line()
            }
            if fds[0].revents & Int16(POLLIN | POLLHUP) != 0 { rl_callback_read_char() }
        }
        return Shared.completedLine
    }
}

/// readline's completion entry: our candidates for the word under the cursor, or file names.
private func complete(_ text: UnsafePointer<CChar>?, _ start: Int32, _ end: Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
    let buffer = String(cString: bandit_rl_line_buffer())
    let before = String(buffer.utf8.prefix(Int(end))) ?? buffer
    let completion = Shared.complete(before)
    if completion.files {
        bandit_rl_completion_over(0)
        return nil
    }
    bandit_rl_completion_over(1)
    Shared.candidates = completion.candidates
    Shared.candidateIndex = 0
    return rl_completion_matches(text) { _, state in
        if state == 0 { Shared.candidateIndex = 0 }
        guard Shared.candidateIndex < Shared.candidates.count else { return nil }
        defer { Shared.candidateIndex += 1 }
        return strdup(Shared.candidates[Shared.candidateIndex])
    }
}

extension LineEditor {
    /// Answers a `history [N]` line from readline's history, numbered as it counts them; false for
    /// any other line (the daemon's).
    func showHistory(_ line: String) -> Bool {
        let count: Int
        do {
            guard let requested = try Command.historyRequest(line) else { return false }
            count = requested
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            return true
        }
        let shown = min(count, Int(bandit_history_length()))
        let first = Int(bandit_history_base()) + Int(bandit_history_length()) - shown
        for offset in stride(from: shown - 1, through: 0, by: -1) {
            guard let text = bandit_history_line(Int32(offset)) else { continue }
            print(String(format: "%5d  ", first + shown - 1 - offset) + String(cString: text))
        }
        fflush(nil)
        return true
    }
}

/// The experiment the REPL used last in a state directory, kept in a file of its own (as readline
/// keeps history), so that the next REPL starts in it.
struct LastExperiment {
    let file: String
    private(set) var name: String?
    private var warned = false

    init(file: String, name: String?) {
        self.file = file
        self.name = name
    }

    /// The name kept, if the file holds one.
    static func read(_ file: String) -> String? {
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        do {
            let name = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            return name.isEmpty ? nil : name
        } catch {
            return nil  // Unreadable: the REPL starts without one, as on a first start.
        }
    }

    /// Keeps `current` when it changed; says once if the file cannot be written.
    mutating func note(_ current: String?) {
        guard current != name else { return }
        name = current
        do {
            try (current ?? "").write(toFile: file, atomically: true, encoding: .utf8)
        } catch {
            guard !warned else { return }
            warned = true
            FileHandle.standardError.write(Data("bandit: cannot keep the current experiment in \(file): \(fileErrorReason(error, path: file))\n".utf8))
        }
    }
}

