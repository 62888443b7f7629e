import TaskwireHub
import TaskwireQueue

/// A store that forwards everything to an in-memory store; tests subclass it to break or watch
/// one method.
class ForwardingTaskStore: TaskStore, @unchecked Sendable {
    // @unchecked: its only state is an immutable reference to a Sendable store; subclasses keep
    // their own state Sendable.
    let base = InMemoryTaskStore()

    func migrate() async throws {}
    func insert(_ task: TaskRecord, onCommit: @escaping CommitObserver) async throws { try await base.insert(task, onCommit: onCommit) }
    func task(id: String) async throws -> TaskRecord? { try await base.task(id: id) }
    func list(_ query: TaskListQuery) async throws -> TaskPage { try await base.list(query) }
    func update(
        id: String,
        _ change: @escaping @Sendable (inout TaskRecord) throws -> Void,
        onCommit: @escaping CommitObserver
    ) async throws -> TaskRecord {
        try await base.update(id: id, change, onCommit: onCommit)
    }
    func claimNext(
        queue: String,
        _ change: @escaping @Sendable (inout TaskRecord) -> Void,
        onCommit: @escaping CommitObserver
    ) async throws -> TaskRecord? {
        try await base.claimNext(queue: queue, change, onCommit: onCommit)
    }
    func expireLeases(
        now: Timestamp,
        _ change: @escaping @Sendable (inout TaskRecord) -> Void,
        onCommit: @escaping CommitObserver
    ) async throws -> [TaskRecord] {
        try await base.expireLeases(now: now, change, onCommit: onCommit)
    }
    var eventEpoch: String { base.eventEpoch }
    func events(taskID: String, after seq: UInt64, limit: Int) async throws -> [TaskEventRecord] {
        try await base.events(taskID: taskID, after: seq, limit: limit)
    }
    func counts() async throws -> QueueCounts { try await base.counts() }
    func checkHealth() async throws {}
}
