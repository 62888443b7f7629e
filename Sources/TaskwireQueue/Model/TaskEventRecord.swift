public import TaskwireHub
import NIOCore
import TaskwireProtocol

/// One event in a task's history, as the store keeps it: the `seq`-th event of the stream
/// `task:<id>`, numbered by the store in the transaction that made the change.
///
/// The store numbers a task's events 1, 2, 3, … without gaps, within its ``epoch`` (one per
/// database), so a client can ask for the whole history of a task, or what followed a seq it
/// saw, also after the server restarted.
public struct TaskEventRecord: Sendable, Equatable {
    public var taskID: String
    public var seq: UInt64
    /// The epoch of the store that numbered it.
    public var epoch: String
    /// The well-known stream the event belongs to (`task_created`, `task_updated`, …); its `event_type`.
    public var eventType: String
    /// The event's message, open (without its closing brace), as JSON text: see ``ServerMessage/taskUpdateBody(taskID:status:progress:message:queue:)``.
    public var body: String
    /// When the change happened.
    public var createdAt: Timestamp

    public init(taskID: String, seq: UInt64, epoch: String, eventType: String, body: String, createdAt: Timestamp) {
        self.taskID = taskID
        self.seq = seq
        self.epoch = epoch
        self.eventType = eventType
        self.body = body
        self.createdAt = createdAt
    }
}

extension TaskChange {
    /// The change from `before` to `after`, with its event numbered: when the change is worth an
    /// event (see ``TaskEvents/stream(for:)``), `after.eventSeq` is one past `before`'s and
    /// ``event`` is set. Stores call this inside the transaction and write `after` and the event.
    public static func numbered(before: TaskRecord?, after: TaskRecord, epoch: String) -> TaskChange {
        var after = after
        after.eventSeq = before?.eventSeq ?? 0
        var change = TaskChange(before: before, after: after)
        guard let stream = TaskEvents.stream(for: change) else { return change }
        change.after.eventSeq += 1
        let task = change.after
        let body = ServerMessage.taskUpdateBody(
            taskID: task.id,
            status: task.status.rawValue,
            progress: task.progress,
            message: task.message,
            queue: task.queue
        )
        change.event = TaskEventRecord(
            taskID: task.id,
            seq: task.eventSeq,
            epoch: epoch,
            eventType: stream.rawValue,
            body: String(buffer: body),
            createdAt: task.updatedAt
        )
        return change
    }
}
