import Logging
import TaskwireHub

/// Parsing and printing of the text forms of configuration values: durations, sizes, booleans.
public enum ConfigText {
    /// `"500ms"`, `"30s"`, `"2m"`, `"1h"`, or a plain number of seconds (`"30"`, `"0.5"`).
    public static func duration(_ text: String) -> Duration? {
        let trimmed = text.trimmingSpaces
        let (number, unit) = trimmed.splitNumber
        guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
        let nanosPerUnit: Double
        switch unit.lowercased() {
        case "ms": nanosPerUnit = 1e6
        case "", "s": nanosPerUnit = 1e9
        case "m", "min": nanosPerUnit = 60e9
        case "h": nanosPerUnit = 3600e9
        default: return nil
        }
        let nanos = (value * nanosPerUnit).rounded()
        guard nanos < 9.2e18 else { return nil }
        return .nanoseconds(Int64(nanos))
    }

    /// A number of bytes, or with a binary unit: `"64KiB"`, `"1MiB"`, `"1GiB"` (`"512B"` too).
    static func size(_ text: String) -> Int? {
        let (number, unit) = text.trimmingSpaces.splitNumber
        let multiplier: Double
        switch unit.lowercased() {
        case "", "b": multiplier = 1
        case "kib": multiplier = 1024
        case "mib": multiplier = 1024 * 1024
        case "gib": multiplier = 1024 * 1024 * 1024
        default: return nil
        }
        if unit.isEmpty || multiplier == 1 {
            return Int(number)
        }
        guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
        let bytes = (value * multiplier).rounded()
        guard bytes < 9.2e18 else { return nil }
        return Int(bytes)
    }

    /// `true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`, in any case.
    static func bool(_ text: String) -> Bool? {
        switch text.trimmingSpaces.lowercased() {
        case "true", "yes", "on", "1": true
        case "false", "no", "off", "0": false
        default: nil
        }
    }

    /// A log level by name (`warn` is taken for `warning`).
    static func logLevel(_ text: String) -> Logger.Level? {
        let name = text.trimmingSpaces.lowercased()
        return name == "warn" ? .warning : Logger.Level(rawValue: name)
    }

    /// A duration as people write it: `30s`, `500ms`, `2m`, `1h`, `1.5s`.
    static func format(_ duration: Duration) -> String {
        let nanos = duration.nanoseconds
        if nanos % 3_600_000_000_000 == 0, nanos != 0 { return "\(nanos / 3_600_000_000_000)h" }
        if nanos % 60_000_000_000 == 0, nanos != 0 { return "\(nanos / 60_000_000_000)m" }
        if nanos % 1_000_000_000 == 0 { return "\(nanos / 1_000_000_000)s" }
        if nanos % 1_000_000 == 0 { return "\(nanos / 1_000_000)ms" }
        return "\(duration.seconds)s"
    }

    /// A size as people write it: `64KiB`, `1MiB`, or bytes.
    static func format(bytes: Int) -> String {
        if bytes != 0, bytes % (1024 * 1024 * 1024) == 0 { return "\(bytes / (1024 * 1024 * 1024))GiB" }
        if bytes != 0, bytes % (1024 * 1024) == 0 { return "\(bytes / (1024 * 1024))MiB" }
        if bytes != 0, bytes % 1024 == 0 { return "\(bytes / 1024)KiB" }
        return "\(bytes)"
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[start...end])
    }

    /// The leading number (digits, `.`, a leading sign) and the unit after it, spaces between allowed.
    fileprivate var splitNumber: (number: String, unit: String) {
        var numberEnd = startIndex
        for index in indices {
            let c = self[index]
            if c.isASCII, c.isNumber || c == "." || ((c == "-" || c == "+") && index == startIndex) {
                numberEnd = self.index(after: index)
            } else {
                break
            }
        }
        return (String(self[..<numberEnd]), String(self[numberEnd...]).trimmingSpaces)
    }
}
