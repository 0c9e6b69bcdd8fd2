import Foundation
import Kernel

/// Reads secrets from the environment, or from the terminal with echo off.
enum Prompt {
    static func secret(_ label: String, environment: [String: String], variable: String, confirm: Bool = false) throws -> String {
        if let value = environment[variable] { return value }
        guard isatty(STDIN_FILENO) == 1 else {
            throw KernelError(.usage, "\(label) needed: set \(variable) or run on a terminal")
        }
        let first = try read("\(label.prefix(1).uppercased() + label.dropFirst()): ")
        if confirm {
            guard try read("Repeat \(label.lowercased()): ") == first else {
                throw KernelError(.invalidInput, "the two entries differ")
            }
        }
        return first
    }

    private static func read(_ prompt: String) throws -> String {
        FileHandle.standardError.write(Data(prompt.utf8))
        var saved = termios()
        tcgetattr(STDIN_FILENO, &saved)
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        guard let line = readLine(strippingNewline: true) else { throw KernelError(.usage, "no input") }
        return line
    }
}
