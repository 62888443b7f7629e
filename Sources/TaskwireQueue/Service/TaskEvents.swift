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

    /// One event of a change, on one of its streams.
    public struct Publication: Sendable, Equatable {
        public var stream: StreamName
        /// The event's seq when the store numbers the stream (`task:<id>`); nil when the hub (or,
        /// in a cluster, the shared log) numbers it.
        public var seq: UInt64?
        /// Set for replaceable events: progress updates of a task still pending or running.
        public var coalescingKey: String?
    }

    /// Where the event of `change` goes, in order: its well-known stream, `task:<id>` at the
    /// store's seq, and `queue:<queue>`. Empty for a change without an event (a lease renewal).
    public static func publications(of change: TaskChange) -> [Publication] {
        guard let event = change.event, let stream = stream(for: change) else { return [] }
        let task = change.after
        // Progress updates of a task still pending or running are replaceable: a newer one
        // for the same task makes them obsolete for a connection not yet sent them.
        let key: String? = stream == .taskUpdated && !task.status.isFinished ? task.id : nil
        return [
            Publication(stream: stream, seq: nil, coalescingKey: key),
            Publication(stream: .task(task.id), seq: event.seq, coalescingKey: key),
            Publication(stream: .queue(task.queue), seq: nil, coalescingKey: key),
        ]
    }

    /// Publishes the events of one commit on this node's hub, in order (see ``publications(of:)``).
    public func publish(_ changes: [TaskChange]) {
        for change in changes {
            guard let event = change.event else { continue }
            let body = ByteBuffer(string: event.body)
            for publication in Self.publications(of: change) {
                if let seq = publication.seq {
                    hub.publish(body, to: publication.stream, at: StreamPosition(seq: seq, epoch: event.epoch), coalescingKey: publication.coalescingKey)
                } else {
                    hub.publish(body, to: publication.stream, coalescingKey: publication.coalescingKey)
                }
            }
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

    public func epoch(ofKey key: String) -> String? {
        guard Self.taskID(ofKey: key) != nil else { return nil }
        let epoch = store.eventEpoch
        return epoch.isEmpty ? nil : epoch
    }

    public func events(ofKey key: String, after seq: UInt64, limit: Int) async throws -> [ArchivedEvent] {
        guard let id = Self.taskID(ofKey: key) else { return [] }
        return try await store.events(taskID: id, after: seq, limit: limit).map { event in
            ArchivedEvent(seq: event.seq, body: ByteBuffer(string: event.body))
        }
    }

    /// The task id of a task stream's key `task:<id>`; nil for any other stream.
    public static func taskID(ofKey key: String) -> String? {
        guard let stream = try? StreamName(validating: key), case .task(let id) = stream.kind else { return nil }
        return id
    }
}
