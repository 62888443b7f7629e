public import TaskwireHub

/// One task, as stored and as the API shows it.
///
/// `payload` and `result` are JSON text, kept exactly as the client sent them.
public struct TaskRecord: Sendable, Equatable {
    public var id: String
    public var queue: String
    public var name: String
    /// JSON text.
    public var payload: String
    public var priority: Int
    public var status: TaskStatus
    public var progress: Double?
    public var message: String?
    public var attempts: Int
    public var maxAttempts: Int
    public var workerID: String?
    public var leaseExpiresAt: Timestamp?
    /// JSON text, set on completion.
    public var result: String?
    public var error: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    /// How many events the task has had: the `seq` of its last event on `task:<id>` (0 before the
    /// store first wrote it). Set by the store, see ``TaskChange/numbered(before:after:epoch:)``.
    public var eventSeq: UInt64

    public init(
        id: String,
        queue: String,
        name: String,
        payload: String,
        priority: Int,
        status: TaskStatus,
        progress: Double? = nil,
        message: String? = nil,
        attempts: Int = 0,
        maxAttempts: Int,
        workerID: String? = nil,
        leaseExpiresAt: Timestamp? = nil,
        result: String? = nil,
        error: String? = nil,
        createdAt: Timestamp,
        updatedAt: Timestamp,
        eventSeq: UInt64 = 0
    ) {
        self.id = id
        self.queue = queue
        self.name = name
        self.payload = payload
        self.priority = priority
        self.status = status
        self.progress = progress
        self.message = message
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.workerID = workerID
        self.leaseExpiresAt = leaseExpiresAt
        self.result = result
        self.error = error
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.eventSeq = eventSeq
    }
}

/// What a producer asks for when it submits a task.
public struct NewTask: Sendable, Equatable {
    public var queue: String
    public var name: String
    /// JSON text.
    public var payload: String
    public var priority: Int
    public var maxAttempts: Int

    public init(queue: String = "default", name: String, payload: String = "null", priority: Int = 0, maxAttempts: Int = 3) {
        self.queue = queue
        self.name = name
        self.payload = payload
        self.priority = priority
        self.maxAttempts = maxAttempts
    }
}

/// Task counts by status.
public struct TaskCounts: Sendable, Equatable {
    public var pending = 0
    public var running = 0
    public var completed = 0
    public var failed = 0
    public var cancelled = 0

    public init() {}

    public var total: Int { pending + running + completed + failed + cancelled }

    public subscript(status: TaskStatus) -> Int {
        get {
            switch status {
            case .pending: pending
            case .running: running
            case .completed: completed
            case .failed: failed
            case .cancelled: cancelled
            }
        }
        set {
            switch status {
            case .pending: pending = newValue
            case .running: running = newValue
            case .completed: completed = newValue
            case .failed: failed = newValue
            case .cancelled: cancelled = newValue
            }
        }
    }
}

/// Counts over all queues and per queue.
public struct QueueCounts: Sendable, Equatable {
    public var all: TaskCounts
    public var byQueue: [String: TaskCounts]

    public init(all: TaskCounts = TaskCounts(), byQueue: [String: TaskCounts] = [:]) {
        self.all = all
        self.byQueue = byQueue
    }
}
