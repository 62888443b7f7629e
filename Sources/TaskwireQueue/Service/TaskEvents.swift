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
            // Progress updates of a task still pending or running are replaceable: a newer one
            // for the same task makes them obsolete for a connection not yet sent them.
            let key: String? = stream == .taskUpdated && !task.status.isFinished ? task.id : nil
            hub.publish(body, to: stream, coalescingKey: key)
            hub.publish(body, to: .task(task.id), coalescingKey: key)
            hub.publish(body, to: .queue(task.queue), coalescingKey: key)
        }
    }
}
