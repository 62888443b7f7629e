import TaskwireClient
import TaskwireProtocol

/// What a task's command printed, and what the worker makes of it.
///
/// - A standard-output line `PROGRESS <fraction> [message]` (fraction from 0 to 1, or a
///   percentage such as `40%`) is a progress report, not output.
/// - Every other standard-output line is output. On success the task's result is the last
///   non-empty output line when that line is JSON, else the whole output as one JSON string
///   (lines joined by newlines), or `null` when there was none.
/// - On failure the error is the exit status and the last lines of standard error.
struct TaskOutput {
    /// Output kept for the result, at most this many bytes (older lines are dropped first).
    static let maximumOutputBytes = 1 << 20
    /// Standard-error text kept for the error, at most this many bytes.
    static let maximumErrorBytes = 2000

    private(set) var lines: [String] = []
    private var outputBytes = 0
    private(set) var errorTail = ""

    /// A progress report read from a line, or nil when the line is output.
    static func progress(in line: String) -> (fraction: Double, message: String?)? {
        guard line.hasPrefix("PROGRESS ") else { return nil }
        let rest = line.dropFirst("PROGRESS ".count).drop { $0 == " " }
        let token = rest.prefix { $0 != " " }
        var fraction: Double
        if token.hasSuffix("%") {
            guard let percent = Double(token.dropLast()) else { return nil }
            fraction = percent / 100
        } else {
            guard let value = Double(token) else { return nil }
            fraction = value
        }
        guard fraction.isFinite else { return nil }
        fraction = min(max(fraction, 0), 1)
        let message = rest.dropFirst(token.count).drop { $0 == " " }
        return (fraction, message.isEmpty ? nil : String(message))
    }

    /// Keeps an output line.
    mutating func append(output line: String) {
        lines.append(line)
        outputBytes += line.utf8.count + 1
        while outputBytes > Self.maximumOutputBytes, !lines.isEmpty {
            outputBytes -= lines.removeFirst().utf8.count + 1
        }
    }

    /// Keeps the output lines of `other`.
    mutating func append(contentsOf other: TaskOutput) {
        for line in other.lines { append(output: line) }
    }

    /// Keeps the tail of standard error.
    mutating func append(error line: String) {
        errorTail += errorTail.isEmpty ? line : "\n" + line
        if errorTail.utf8.count > Self.maximumErrorBytes {
            errorTail = String(errorTail.suffix(Self.maximumErrorBytes))
        }
    }

    /// The result of a successful run.
    var result: JSONValue {
        guard let last = lines.last(where: { !$0.allSatisfy(\.isWhitespace) }) else { return .null }
        if let value = try? JSONValue(parsing: last) { return value }
        return .string(lines.joined(separator: "\n"))
    }

    /// The error of a failed run.
    func error(status: String) -> String {
        errorTail.isEmpty ? status : "\(status): \(errorTail)"
    }
}
