// The files a line asks the client to write, read in the line itself: the daemon never names one.

extension Command {
    /// The file each command of `line` writes, as its user typed it, by the command's index in the
    /// line (the index of the daemon's parts). Read with the table and the binding the daemon uses, so
    /// the two agree on every line both accept.
    public static func outputFiles(in line: String) -> [Int: String] {
        let commands: [ParsedCommand]
        do {
            commands = try parseLine(line)
        } catch {
            // The daemon answers this line with the same error, and runs nothing of it.
            return [:]
        }
        var files: [Int: String] = [:]
        for (index, parsed) in commands.enumerated() {
            let command: Command, arguments: Arguments
            do {
                command = try resolve(parsed.words[0])
                arguments = try bind(parsed.words.dropFirst(), to: command)
            } catch {
                // The daemon refuses this command with the same error, and the line stops there.
                break
            }
            if let file = command.outputFile(arguments) { files[index] = file }
        }
        return files
    }

    /// The word given to the argument that names a file to write, if any.
    func outputFile(_ arguments: Arguments) -> String? {
        for spec in self.arguments where spec.writesFile {
            if case .word(let path)? = arguments.values[spec.name]?.first { return path }
        }
        return nil
    }
}
