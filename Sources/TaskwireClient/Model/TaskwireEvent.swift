public import TaskwireProtocol

/// One event delivered because of a subscription: which stream it belongs to, its position in
/// that stream, and its decoded content.
public struct TaskwireEvent: Sendable, Hashable {
    /// The stream (the protocol's `event_type`): `task_updated`, `task:<id>`, a custom name, …
    public var stream: String
    /// The event's number in its stream (1, 2, 3, … within an epoch).
    public var seq: UInt64
    /// The numbering's epoch; it changes when the server loses the stream's history.
    public var epoch: String
    /// The decoded message.
    public var message: EventMessage
    /// The whole message as the server sent it, for fields this library does not model.
    public var raw: JSONValue

    /// The position of this event, as sent back in `since` on a reconnect.
    public var position: StreamPosition { StreamPosition(seq: seq, epoch: epoch) }
}

/// The content of an event, by the protocol's message `type`.
public enum EventMessage: Sendable, Hashable {
    /// `task_update`: a task was created, claimed, made progress, was put back, completed, failed or cancelled.
    case taskUpdate(TaskUpdate)
    /// `queue_status`: the counts of tasks by status.
    case queueStatus(QueueCounts)
    /// `notification`: a message for people.
    case notification(Notification)
    /// `custom`: `data` exactly as it was published.
    case custom(data: JSONValue)
    /// A message type this library does not know (a later protocol version); see ``TaskwireEvent/raw``.
    case other(type: String)
}

/// The fields of a `task_update` message.
public struct TaskUpdate: Sendable, Hashable {
    /// The task's id.
    public var taskID: String
    /// `pending`, `running`, `completed`, `failed` or `cancelled`.
    public var status: String
    /// Progress from 0 to 1, if the worker reported any.
    public var progress: Double?
    /// The worker's latest message, if any.
    public var message: String?
    /// The task's queue.
    public var queue: String

    /// Creates an update (for tests and for applications that build their own).
    public init(taskID: String, status: String, progress: Double?, message: String?, queue: String) {
        self.taskID = taskID
        self.status = status
        self.progress = progress
        self.message = message
        self.queue = queue
    }
}

/// Counts of tasks by status (`queue_status` events and `GET /api/v1/queue/status`).
public struct QueueCounts: Sendable, Hashable {
    /// All tasks (`total_tasks`).
    public var total: Int
    /// Waiting to be claimed (`pending_tasks`).
    public var pending: Int
    /// Claimed by a worker, under a lease (`running_tasks`).
    public var running: Int
    /// Completed (`completed_tasks`).
    public var completed: Int
    /// Failed for good (`failed_tasks`).
    public var failed: Int
    /// Cancelled (`cancelled_tasks`).
    public var cancelled: Int

    /// Creates counts.
    public init(total: Int = 0, pending: Int = 0, running: Int = 0, completed: Int = 0, failed: Int = 0, cancelled: Int = 0) {
        self.total = total
        self.pending = pending
        self.running = running
        self.completed = completed
        self.failed = failed
        self.cancelled = cancelled
    }

    /// Reads the `*_tasks` fields of an object; missing ones are 0.
    init(fields value: JSONValue) {
        func count(_ key: String) -> Int { value[key]?.int64Value.map { Int($0) } ?? 0 }
        self.init(
            total: count("total_tasks"),
            pending: count("pending_tasks"),
            running: count("running_tasks"),
            completed: count("completed_tasks"),
            failed: count("failed_tasks"),
            cancelled: count("cancelled_tasks")
        )
    }
}

/// The fields of a `notification` message.
public struct Notification: Sendable, Hashable {
    /// `info`, `warning`, `error` or `success`.
    public var level: String
    /// A short headline.
    public var title: String
    /// The text.
    public var message: String
    /// When it was sent, RFC 3339.
    public var timestamp: String
}

extension TaskwireEvent {
    /// Decodes an event message (one with `event_type`, `seq` and `epoch`), or nil when it is not one.
    init?(_ value: JSONValue) {
        guard let stream = value["event_type"]?.stringValue,
            let seqText = value["seq"], case .number(let text) = seqText, let seq = UInt64(text),
            let epoch = value["epoch"]?.stringValue,
            let type = value["type"]?.stringValue
        else { return nil }
        self.stream = stream
        self.seq = seq
        self.epoch = epoch
        self.raw = value
        switch type {
        case "task_update":
            self.message = .taskUpdate(
                TaskUpdate(
                    taskID: value["task_id"]?.stringValue ?? "",
                    status: value["status"]?.stringValue ?? "",
                    progress: value["progress"]?.doubleValue,
                    message: value["message"]?.stringValue,
                    queue: value["queue"]?.stringValue ?? ""
                )
            )
        case "queue_status":
            self.message = .queueStatus(QueueCounts(fields: value))
        case "notification":
            self.message = .notification(
                Notification(
                    level: value["level"]?.stringValue ?? "",
                    title: value["title"]?.stringValue ?? "",
                    message: value["message"]?.stringValue ?? "",
                    timestamp: value["timestamp"]?.stringValue ?? ""
                )
            )
        case "custom":
            self.message = .custom(data: value["data"] ?? .null)
        default:
            self.message = .other(type: type)
        }
    }
}
