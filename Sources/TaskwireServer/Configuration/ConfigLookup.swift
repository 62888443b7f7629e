import Configuration
import Logging
import Synchronization

/// Reads keys through a `ConfigReader` without losing errors.
///
/// `ConfigReader`'s optional getters turn a value that does not convert into nil; this reads
/// through an access reporter that sees every lookup, so that a bad value becomes a
/// ``TaskwireConfigurationError`` naming the key, the value and where it came from. Each key
/// is read as a string first (flags and the environment are text), then, for a JSON file's
/// numbers and booleans, as a number or a boolean.
struct ConfigLookup {
    /// A value as a provider gave it.
    enum Raw {
        case string(String)
        case int(Int)
        case double(Double)
        case bool(Bool)

        var shown: String {
            switch self {
            case .string(let s): "\"\(s)\""
            case .int(let i): String(i)
            case .double(let d): String(d)
            case .bool(let b): String(b)
            }
        }
    }

    private let reader: ConfigReader
    private let recorder: LookupRecorder

    init(providers: [any ConfigProvider]) {
        let recorder = LookupRecorder()
        self.recorder = recorder
        self.reader = ConfigReader(providers: providers, accessReporter: recorder)
    }

    /// The value of `key` and where it came from, or nil when no provider has it.
    func raw(_ key: TaskwireConfiguration.Key) throws(TaskwireConfigurationError) -> (value: Raw, source: String)? {
        let configKey = ConfigKey(key.name)
        recorder.reset()
        if let string = reader.string(forKey: configKey) {
            return (.string(string), source(of: recorder.take(), key: key))
        }
        guard let failed = recorder.take(), case .failure = failed.providerResults.last?.result else {
            return nil
        }
        // Present but not a string: a number or a boolean in a file.
        recorder.reset()
        if let int = reader.int(forKey: configKey) { return (.int(int), source(of: recorder.take(), key: key)) }
        recorder.reset()
        if let double = reader.double(forKey: configKey) { return (.double(double), source(of: recorder.take(), key: key)) }
        recorder.reset()
        if let bool = reader.bool(forKey: configKey) { return (.bool(bool), source(of: recorder.take(), key: key)) }
        throw TaskwireConfigurationError(
            key: key.name,
            message: "unsupported value (from \(source(of: failed, key: key))): expected a string, a number or a boolean"
        )
    }

    /// Describes the provider that answered a lookup.
    private func source(of event: AccessEvent?, key: TaskwireConfiguration.Key) -> String {
        guard let name = event?.providerResults.last?.providerName else { return "configuration" }
        if name.contains("InMemoryProvider[flags]") { return "command-line flag" }
        if name.contains("EnvironmentVariablesProvider") { return "environment variable \(key.environmentVariable)" }
        if name.contains("FileProvider") { return "config file" }
        return name
    }

    // MARK: - Typed reads

    func string(_ key: TaskwireConfiguration.Key) throws(TaskwireConfigurationError) -> String? {
        try parse(key, expected: "a string") { raw in
            if case .string(let s) = raw { return s }
            return nil
        }
    }

    /// A comma-separated list, its items trimmed; empty items are left out.
    func list(_ key: TaskwireConfiguration.Key) throws(TaskwireConfigurationError) -> [String]? {
        try string(key).map { text in
            text.split(separator: ",")
                .map { String($0.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()) }
                .filter { !$0.isEmpty }
        }
    }

    func int(_ key: TaskwireConfiguration.Key) throws(TaskwireConfigurationError) -> Int? {
        try parse(key, expected: "an integer") { raw in
            switch raw {
            case .string(let s): Int(s.filter { $0 != " " })
            case .int(let i): i
            case .double(let d): Int(exactly: d)
            case .bool: nil
            }
        }
    }

    /// A positive number, or nil for "off" (returned as `.some(nil)`).
    func rateOrOff(_ key: TaskwireConfiguration.Key) throws(TaskwireConfigurationError) -> Double?? {
        try parse(key, expected: #"a number of messages per second, or "off""#) { raw -> Double?? in
            switch raw {
            case .string(let s) where s.lowercased() == "off": .some(nil)
            case .string(let s): Double(s).flatMap { $0.isFinite && $0 > 0 ? .some($0) : nil }
            case .int(let i): i > 0 ? .some(Double(i)) : nil
            case .double(let d): d.isFinite && d > 0 ? .some(d) : nil
            case .bool: nil
            }
        }
    }

    /// A positive integer, or nil for "unlimited" (returned as `.some(nil)`).
    func limitOrUnlimited(_ key: TaskwireConfiguration.Key) throws(TaskwireConfigurationError) -> Int?? {
        try parse(key, expected: #"a positive integer, or "unlimited""#) { raw -> Int?? in
            switch raw {
            case .string(let s) where s.lowercased() == "unlimited": .some(nil)
            case .string(let s): Int(s).flatMap { $0 > 0 ? .some($0) : nil }
            case .int(let i): i > 0 ? .some(i) : nil
            case .double(let d): Int(exactly: d).flatMap { $0 > 0 ? .some($0) : nil }
            case .bool: nil
            }
        }
    }

    func bool(_ key: TaskwireConfiguration.Key) throws(TaskwireConfigurationError) -> Bool? {
        try parse(key, expected: "true or false") { raw in
            switch raw {
            case .string(let s): ConfigText.bool(s)
            case .bool(let b): b
            case .int(let i): i == 0 ? false : i == 1 ? true : nil
            case .double: nil
            }
        }
    }

    func duration(_ key: TaskwireConfiguration.Key) throws(TaskwireConfigurationError) -> Duration? {
        try parse(key, expected: #"a duration such as "500ms", "30s", "2m", "1h" or a number of seconds"#) { raw in
            switch raw {
            case .string(let s): ConfigText.duration(s)
            case .int(let i): i >= 0 ? .seconds(i) : nil
            case .double(let d): d.isFinite && d >= 0 && d < 9e9 ? .nanoseconds(Int64((d * 1e9).rounded())) : nil
            case .bool: nil
            }
        }
    }

    func size(_ key: TaskwireConfiguration.Key) throws(TaskwireConfigurationError) -> Int? {
        try parse(key, expected: #"a size in bytes, or such as "64KiB", "1MiB", "1GiB""#) { raw in
            switch raw {
            case .string(let s): ConfigText.size(s)
            case .int(let i): i
            case .double(let d): Int(exactly: d)
            case .bool: nil
            }
        }
    }

    func logLevel(_ key: TaskwireConfiguration.Key) throws(TaskwireConfigurationError) -> Logger.Level? {
        try parse(key, expected: "one of trace, debug, info, notice, warning, error, critical") { raw in
            if case .string(let s) = raw { return ConfigText.logLevel(s) }
            return nil
        }
    }

    func preset(_ key: TaskwireConfiguration.Key) throws(TaskwireConfigurationError) -> TaskwireConfiguration.Preset? {
        try parse(key, expected: "one of standard, high-performance, lightweight") { raw in
            if case .string(let s) = raw { return TaskwireConfiguration.Preset(name: s) }
            return nil
        }
    }

    private func parse<T>(
        _ key: TaskwireConfiguration.Key,
        expected: String,
        _ convert: (Raw) -> T?
    ) throws(TaskwireConfigurationError) -> T? {
        guard let (raw, source) = try raw(key) else { return nil }
        guard let value = convert(raw) else {
            throw TaskwireConfigurationError(key: key.name, message: "\(raw.shown) (from \(source)) is not \(expected)")
        }
        return value
    }
}

/// Keeps the last lookup a `ConfigReader` reported.
final class LookupRecorder: AccessReporter {
    private let last = Mutex<AccessEvent?>(nil)

    func report(_ event: AccessEvent) {
        last.withLock { $0 = event }
    }

    func reset() {
        last.withLock { $0 = nil }
    }

    func take() -> AccessEvent? {
        last.withLock { value in
            defer { value = nil }
            return value
        }
    }
}
