/// Limits and timings of the task queue.
public struct QueueConfiguration: Sendable, Equatable {
    /// Largest task payload or result, in bytes of JSON text.
    public var maxPayloadSize: Int
    /// Longest task name, in characters.
    public var maxNameLength: Int
    /// Longest progress message or error text, in characters.
    public var maxMessageLength: Int
    /// Longest worker id, in characters.
    public var maxWorkerIDLength: Int
    /// Most attempts a task may ask for.
    public var maxAttemptsLimit: Int
    /// How often expired leases are looked for (an expired lease is acted on within twice this).
    public var leaseCheckInterval: Duration
    /// Shortest gap between two `queue_status_changed` events.
    public var statusInterval: Duration

    public init(
        maxPayloadSize: Int = 1024 * 1024,
        maxNameLength: Int = 256,
        maxMessageLength: Int = 4096,
        maxWorkerIDLength: Int = 128,
        maxAttemptsLimit: Int = 100,
        leaseCheckInterval: Duration = .seconds(1),
        statusInterval: Duration = .milliseconds(250)
    ) {
        self.maxPayloadSize = maxPayloadSize
        self.maxNameLength = maxNameLength
        self.maxMessageLength = maxMessageLength
        self.maxWorkerIDLength = maxWorkerIDLength
        self.maxAttemptsLimit = maxAttemptsLimit
        self.leaseCheckInterval = leaseCheckInterval
        self.statusInterval = statusInterval
    }

    /// Lease lengths a worker may ask for, in seconds.
    public static let leaseSeconds = 1...3600
}
