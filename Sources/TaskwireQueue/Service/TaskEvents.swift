public import TaskwireHub
public import TaskwireProtocol
import NIOCore

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

    /// Publishes the events of one commit, in order: each change's event (numbered by the
    /// store) on its well-known stream, on `task:<id>` at the store's seq and epoch, and on
    /// `queue:<queue>`.
    public func publish(_ changes: [TaskChange]) {
        for change in changes {
            guard let event = change.event, let stream = Self.stream(for: change) else { continue }
            let task = change.after
            let body = ByteBuffer(string: event.body)
            // Progress updates of a task still pending or running are replaceable: a newer one
            // for the same task makes them obsolete for a connection not yet sent them.
            let key: String? = stream == .taskUpdated && !task.status.isFinished ? task.id : nil
            hub.publish(body, to: stream, coalescingKey: key)
            hub.publish(body, to: .task(task.id), at: StreamPosition(seq: event.seq, epoch: event.epoch), coalescingKey: key)
            hub.publish(body, to: .queue(task.queue), coalescingKey: key)
        }
    }
}

/// The task store as the hub's ``StreamArchive``: each `task:<id>` stream is numbered by the
/// store, which keeps the task's whole event history, so a subscription with `since` (seq 0 for
/// everything) recovers from it whatever the hub's own history still holds.
public struct TaskStoreArchive: StreamArchive {
    let store: any TaskStore

    public init(store: any TaskStore) {
        self.store = store
    }

    public func epoch(of stream: StreamName) -> String? {
        guard case .task = stream.kind else { return nil }
        let epoch = store.eventEpoch
        return epoch.isEmpty ? nil : epoch
    }

    public func events(of stream: StreamName, after seq: UInt64, limit: Int) async throws -> [ArchivedEvent] {
        guard case .task(let id) = stream.kind else { return [] }
        return try await store.events(taskID: id, after: seq, limit: limit).map { event in
            ArchivedEvent(seq: event.seq, body: ByteBuffer(string: event.body))
        }
    }
}
