public import TaskwireHub

/// Where tasks live: SQLite on one machine, PostgreSQL for several nodes.
///
/// Stores are deliberately simple: they read and write whole records atomically and leave the
/// rules of each transition to ``TaskTransitions``, so every backend behaves the same. Every
/// method that writes is durable once it returns.
///
/// Each write also numbers the change's event and appends it to the task's history (see
/// ``TaskChange/numbered(before:after:epoch:)``), in the same transaction.
///
/// Each write reports what it changed through `onCommit`, after the commit and before the
/// method returns. A store calls these reports one at a time, in commit order, so events
/// derived from them (``TaskEvents``) reach subscribers in the order the changes happened.
public protocol TaskStore: Sendable {
    /// Creates the schema or brings it up to date (versioned migrations).
    func migrate() async throws

    /// Stores a new task.
    func insert(_ task: TaskRecord, onCommit: @escaping CommitObserver) async throws

    /// The task with `id`, or nil.
    func task(id: String) async throws -> TaskRecord?

    /// Tasks newest first, filtered, one page at a time.
    /// - Throws: ``TaskQueueError`` `.invalid` for a cursor this store did not make.
    func list(_ query: TaskListQuery) async throws -> TaskPage

    /// Reads the task with `id`, lets `change` modify it, and writes it back, atomically.
    /// - Returns: the task as written.
    /// - Throws: ``TaskQueueError`` `.notFound`, or whatever `change` throws (nothing is written then).
    func update(
        id: String,
        _ change: @escaping @Sendable (inout TaskRecord) throws -> Void,
        onCommit: @escaping CommitObserver
    ) async throws -> TaskRecord

    /// Picks the next pending task of `queue` (highest priority first, then oldest), lets
    /// `change` modify it and writes it back, atomically: two callers never get the same task.
    /// - Returns: the task as written, or nil when none is pending.
    func claimNext(
        queue: String,
        _ change: @escaping @Sendable (inout TaskRecord) -> Void,
        onCommit: @escaping CommitObserver
    ) async throws -> TaskRecord?

    /// Applies `change` to every running task whose lease expired at or before `now`, atomically.
    /// - Returns: the tasks as written.
    func expireLeases(
        now: Timestamp,
        _ change: @escaping @Sendable (inout TaskRecord) -> Void,
        onCommit: @escaping CommitObserver
    ) async throws -> [TaskRecord]

    /// The epoch in which this store numbers task events: made once per database, at the first
    /// ``migrate()``, and the same ever after. Read it only after ``migrate()`` returned.
    var eventEpoch: String { get }

    /// The events of task `id` numbered after `seq`, oldest first, at most `limit` of them
    /// (empty for an unknown task).
    func events(taskID: String, after seq: UInt64, limit: Int) async throws -> [TaskEventRecord]

    /// Task counts by status, over all queues and per queue.
    func counts() async throws -> QueueCounts

    /// Throws when the store cannot serve requests (for readiness checks).
    func checkHealth() async throws

    /// Whether the store itself appends each change's events (``TaskEvents/publications(of:)``)
    /// to an event log that every node delivers to its hub (PostgreSQL's, in a cluster). The
    /// ``TaskService`` then leaves them to the log instead of publishing them on its hub.
    var logsEvents: Bool { get }
}

extension TaskStore {
    /// False: the ``TaskService`` publishes the events of each commit on its hub.
    public var logsEvents: Bool { false }
}

/// Receives the changes of one commit, in order.
public typealias CommitObserver = @Sendable ([TaskChange]) -> Void

/// One task's change in a commit: what it was (nil when created) and what it is now, and the
/// event the store recorded for it (see ``numbered(before:after:epoch:)``).
public struct TaskChange: Sendable, Equatable {
    public var before: TaskRecord?
    public var after: TaskRecord
    /// The event written to the task's history in the same transaction; nil when the change is
    /// not worth one (a lease renewal).
    public var event: TaskEventRecord?

    public init(before: TaskRecord?, after: TaskRecord, event: TaskEventRecord? = nil) {
        self.before = before
        self.after = after
        self.event = event
    }
}

/// A page request for ``TaskStore/list(_:)``.
public struct TaskListQuery: Sendable, Equatable {
    public var status: TaskStatus?
    public var queue: String?
    /// 1 to 500.
    public var limit: Int
    /// From a previous page's ``TaskPage/nextCursor``.
    public var cursor: String?

    public init(status: TaskStatus? = nil, queue: String? = nil, limit: Int = 50, cursor: String? = nil) {
        self.status = status
        self.queue = queue
        self.limit = limit
        self.cursor = cursor
    }
}

/// One page of tasks, newest first.
public struct TaskPage: Sendable, Equatable {
    public var tasks: [TaskRecord]
    /// Where the next page starts; nil on the last page.
    public var nextCursor: String?

    public init(tasks: [TaskRecord], nextCursor: String?) {
        self.tasks = tasks
        self.nextCursor = nextCursor
    }
}
