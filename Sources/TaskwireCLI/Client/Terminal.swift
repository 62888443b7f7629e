import Foundation

/// Unbuffered output to standard output and standard error, one whole line per write, so that
/// lines reach a pipe as soon as they are written and lines of concurrent tasks never mix.
enum Terminal {
    /// Writes `line` and a newline to standard output.
    static func out(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Writes `line` and a newline to standard error.
    static func err(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Whether standard error is a terminal (where progress counters are drawn).
    static var stderrIsTTY: Bool { isatty(2) == 1 }

    /// Redraws a one-line status on standard error (a terminal only).
    static func status(_ text: String) {
        FileHandle.standardError.write(Data("\r\u{1B}[2K\(text)".utf8))
    }

    /// Clears the status line (a terminal only).
    static func clearStatus() {
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}
