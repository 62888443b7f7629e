/// A configuration that cannot be used: a value that does not parse or is out of range, or a
/// config file that cannot be read. The message names the key and where the value came from.
public struct TaskwireConfigurationError: Error, Sendable, CustomStringConvertible {
    /// The key at fault (`config` for the config file itself).
    public var key: String
    /// What is wrong.
    public var message: String

    /// Creates an error.
    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { "invalid configuration: \(key): \(message)" }
}
