public import TaskwireHub
import TaskwireProtocol

/// The task queue: checks requests, applies transitions through the store, and lets every
/// committed change reach the hub as events.
///
/// ```swift
/// let service = TaskService(store: store, hub: hub)
/// let task = try await service.create(NewTask(name: "resize", payload: #"{"w":640}"#))
/// ```
public final class TaskService: Sendable {
    public let store: any TaskStore
    public let hub: Hub
    public let configuration: QueueConfiguration
    let events: TaskEvents
    /// Publishes `queue_status_changed` after changes, coalesced; run it as a service.
    public let statusPublisher: QueueStatusPublisher

    /// Creates the service, and makes `store` the hub's ``StreamArchive`` of task streams
    /// (``TaskStoreArchive``), so that `task:<id>` is numbered by the store and recovered from it.
    public init(store: any TaskStore, hub: Hub, configuration: QueueConfiguration = QueueConfiguration()) {
        hub.archive = TaskStoreArchive(store: store)
        self.store = store
        self.hub = hub
        self.configuration = configuration
        self.events = TaskEvents(hub: hub)
        self.statusPublisher = QueueStatusPublisher(store: store, hub: hub, interval: configuration.statusInterval)
    }

    private var clock: any HubClock { hub.clock }

    /// Reports a commit: its events now (unless the store logs them for every node), the queue
    /// counts soon.
    private var onCommit: CommitObserver {
        let publishesEvents = !store.logsEvents
        return { [events, statusPublisher] changes in
            if publishesEvents { events.publish(changes) }
            statusPublisher.markDirty()
        }
    }

    // MARK: Producers

    /// Submits a task.
    /// - Throws: ``TaskQueueError`` `.invalid` naming the field at fault.
    public func create(_ request: NewTask) async throws -> TaskRecord {
        try check(queue: request.queue, field: "queue")
        try check(text: request.name, field: "name", max: configuration.maxNameLength, allowEmpty: false)
        try check(json: request.payload, field: "payload")
        guard (1...configuration.maxAttemptsLimit).contains(request.maxAttempts) else {
            throw TaskQueueError(.invalid, "field 'max_attempts' must be between 1 and \(configuration.maxAttemptsLimit)")
        }
        let now = clock.now()
        let task = TaskRecord(
            id: Self.makeID(),
            queue: request.queue,
            name: request.name,
            payload: request.payload,
            priority: request.priority,
            status: .pending,
            maxAttempts: request.maxAttempts,
            createdAt: now,
            updatedAt: now
        )
        try await store.insert(task, onCommit: onCommit)
        return task
    }

    /// The task with `id`.
    public func task(id: String) async throws -> TaskRecord {
        guard StreamName.isValidIdentifier(id), let task = try await store.task(id: id) else { throw TaskQueueError.notFound(id) }
        return task
    }

    /// The events of task `id` after `seq` (its stream `task:<id>`'s numbering), oldest first, at most `limit`.
    /// - Throws: ``TaskQueueError`` `.notFound` for an unknown task.
    public func events(id: String, after seq: UInt64, limit: Int) async throws -> [TaskEventRecord] {
        _ = try await task(id: id)
        return try await store.events(taskID: id, after: seq, limit: limit)
    }

    /// A page of tasks, newest first.
    public func list(_ query: TaskListQuery) async throws -> TaskPage {
        guard (1...500).contains(query.limit) else {
            throw TaskQueueError(.invalid, "query parameter 'limit' must be between 1 and 500")
        }
        if let queue = query.queue { try check(queue: queue, field: "queue") }
        return try await store.list(query)
    }

    /// Cancels a pending or running task.
    public func cancel(id: String) async throws -> TaskRecord {
        let now = clock.now()
        return try await update(id: id) { task throws(TaskQueueError) in try TaskTransitions.cancel(&task, now: now) }
    }

    /// Puts a failed or cancelled task back to pending, with `max_attempts` attempts again.
    public func retry(id: String) async throws -> TaskRecord {
        let now = clock.now()
        return try await update(id: id) { task throws(TaskQueueError) in try TaskTransitions.retry(&task, now: now) }
    }

    // MARK: Workers

    /// Claims the next pending task of `queue` for `workerID`, holding it for `leaseSeconds`.
    /// - Returns: the task, now running, or nil when none is pending.
    public func claim(queue: String, workerID: String, leaseSeconds: Int) async throws -> TaskRecord? {
        try check(queue: queue, field: "queue")
        try check(workerID: workerID)
        let lease = try leaseDuration(leaseSeconds)
        let now = clock.now()
        return try await store.claimNext(
            queue: queue,
            { TaskTransitions.claim(&$0, workerID: workerID, lease: lease, now: now) },
            onCommit: onCommit
        )
    }

    /// Reports progress (0 to 1) and/or a message.
    public func progress(id: String, workerID: String, progress: Double?, message: String?) async throws -> TaskRecord {
        try check(workerID: workerID)
        if let progress, !(progress >= 0 && progress <= 1) {
            throw TaskQueueError(.invalid, "field 'progress' must be between 0 and 1")
        }
        if let message { try check(text: message, field: "message", max: configuration.maxMessageLength, allowEmpty: true) }
        let now = clock.now()
        return try await update(id: id) { task throws(TaskQueueError) in
            try TaskTransitions.progress(&task, workerID: workerID, progress: progress, message: message, now: now)
        }
    }

    /// Renews the lease.
    public func heartbeat(id: String, workerID: String, leaseSeconds: Int) async throws -> TaskRecord {
        try check(workerID: workerID)
        let lease = try leaseDuration(leaseSeconds)
        let now = clock.now()
        return try await update(id: id) { task throws(TaskQueueError) in
            try TaskTransitions.heartbeat(&task, workerID: workerID, lease: lease, now: now)
        }
    }

    /// Finishes the task with `result` (JSON text).
    public func complete(id: String, workerID: String, result: String) async throws -> TaskRecord {
        try check(workerID: workerID)
        try check(json: result, field: "result")
        let now = clock.now()
        return try await update(id: id) { task throws(TaskQueueError) in
            try TaskTransitions.complete(&task, workerID: workerID, result: result, now: now)
        }
    }

    /// Fails the task: pending again while attempts remain and `retry` is set, else failed.
    public func fail(id: String, workerID: String, error: String, retry: Bool) async throws -> TaskRecord {
        try check(workerID: workerID)
        try check(text: error, field: "error", max: configuration.maxMessageLength, allowEmpty: true)
        let now = clock.now()
        return try await update(id: id) { task throws(TaskQueueError) in
            try TaskTransitions.fail(&task, workerID: workerID, error: error, retry: retry, now: now)
        }
    }

    /// Acts on every expired lease: the task is pending again, or failed once its attempts are used up.
    /// - Returns: the tasks changed.
    @discardableResult
    public func expireLeases() async throws -> [TaskRecord] {
        let now = clock.now()
        return try await store.expireLeases(now: now, { TaskTransitions.expireLease(&$0, now: now) }, onCommit: onCommit)
    }

    // MARK: Status

    /// Task counts over all queues and per queue.
    public func counts() async throws -> QueueCounts {
        try await store.counts()
    }

    // MARK: Helpers

    private func update(id: String, _ change: @escaping @Sendable (inout TaskRecord) throws(TaskQueueError) -> Void) async throws -> TaskRecord {
        guard StreamName.isValidIdentifier(id) else { throw TaskQueueError.notFound(id) }
        return try await store.update(id: id, { try change(&$0) }, onCommit: onCommit)
    }

    private func leaseDuration(_ seconds: Int) throws(TaskQueueError) -> Duration {
        guard QueueConfiguration.leaseSeconds.contains(seconds) else {
            throw TaskQueueError(.invalid, "field 'lease_seconds' must be between 1 and 3600")
        }
        return .seconds(seconds)
    }

    func check(queue: String, field: String) throws(TaskQueueError) {
        guard StreamName.isValidIdentifier(queue) else {
            throw TaskQueueError(.invalid, "field '\(field)' must be 1 to 64 of A-Z a-z 0-9 _ . -")
        }
    }

    private func check(workerID: String) throws(TaskQueueError) {
        try check(text: workerID, field: "worker_id", max: configuration.maxWorkerIDLength, allowEmpty: false)
    }

    func check(text: String, field: String, max: Int, allowEmpty: Bool) throws(TaskQueueError) {
        if !allowEmpty && text.isEmpty { throw TaskQueueError(.invalid, "field '\(field)' must not be empty") }
        // Characters are Unicode code points, as JSON Schema's `maxLength` counts them.
        guard text.unicodeScalars.count <= max else { throw TaskQueueError(.invalid, "field '\(field)' is longer than \(max) characters") }
    }

    private func check(json: String, field: String) throws(TaskQueueError) {
        guard json.utf8.count <= configuration.maxPayloadSize else {
            throw TaskQueueError(.invalid, "field '\(field)' is larger than \(configuration.maxPayloadSize) bytes")
        }
    }

    /// A random id in UUID form (version 4).
    static func makeID() -> String {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = bytes.map { b in (b < 16 ? "0" : "") + String(b, radix: 16) }.joined()
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
    }
}
