public import TaskwireHub
public import TaskwireProtocol

/// Turns committed task changes into hub events, on the streams the protocol lists:
/// `task_created`, `task_updated` (claimed, progress, requeued, cancelled), `task_completed`,
/// `task_failed`, each also on `task:<id>` and `queue:<queue>`.
public struct TaskEvents: Sendable {
    let hub: Hub

    public init(hub: Hub) {
        self.hub = hub
    }

    /// The well-known stream a change belongs to, or nil when it is not worth an event (a lease renewal).
    public static func stream(for change: TaskChange) -> StreamName? {
        guard let before = change.before else { return .taskCreated }
        let after = change.after
        if before.status != after.status {
            switch after.status {
            case .completed: return .taskCompleted
            case .failed: return .taskFailed
            case .pending, .running, .cancelled: return .taskUpdated
            }
        }
        if before.progress != after.progress || before.message != after.message {
            return .taskUpdated
        }
        return nil
    }

    /// Publishes the events of one commit, in order.
    public func publish(_ changes: [TaskChange]) {
        for change in changes {
            guard let stream = Self.stream(for: change) else { continue }
            let task = change.after
            let body = ServerMessage.taskUpdateBody(
                taskID: task.id,
                status: task.status.rawValue,
                progress: task.progress,
                message: task.message,
                queue: task.queue
            )
            hub.publish(body, to: stream)
            hub.publish(body, to: .task(task.id))
            hub.publish(body, to: .queue(task.queue))
        }
    }
}
