import Synchronization
public import TaskwireHub

/// A task store in memory: for tests, and the reference the durable stores are checked against.
public final class InMemoryTaskStore: TaskStore {
    private struct State {
        var tasks: [String: TaskRecord] = [:]
        /// Insertion order: `order[i]` is the id of the task with sequence number `i + 1`.
        var order: [String] = []
        var sequence: [String: Int] = [:]
        var events: [String: [TaskEventRecord]] = [:]

        /// Numbers the change's event, stores the task and the event, and returns the change.
        mutating func write(before: TaskRecord?, after: TaskRecord, epoch: String) -> TaskChange {
            let change = TaskChange.numbered(before: before, after: after, epoch: epoch)
            tasks[change.after.id] = change.after
            if let event = change.event { events[event.taskID, default: []].append(event) }
            return change
        }
    }
    private let state = Mutex(State())
    public let eventEpoch: String

    /// - Parameter eventEpoch: the epoch of its task events (by default a new random one).
    public init(eventEpoch: String = "m" + String(UInt64.random(in: 1..<UInt64.max), radix: 36)) {
        self.eventEpoch = eventEpoch
    }

    public func migrate() async throws {}

    public func insert(_ task: TaskRecord, onCommit: @escaping CommitObserver) async throws {
        try state.withLock { state in
            guard state.tasks[task.id] == nil else { throw TaskQueueError(.conflict, "task \"\(task.id)\" already exists") }
            let change = state.write(before: nil, after: task, epoch: eventEpoch)
            state.order.append(task.id)
            state.sequence[task.id] = state.order.count
            onCommit([change])
        }
    }

    public func task(id: String) async throws -> TaskRecord? {
        state.withLock { $0.tasks[id] }
    }

    public func events(taskID: String, after seq: UInt64, limit: Int) async throws -> [TaskEventRecord] {
        state.withLock { state in
            Array((state.events[taskID] ?? []).lazy.filter { $0.seq > seq }.prefix(max(0, limit)))
        }
    }

    public func list(_ query: TaskListQuery) async throws -> TaskPage {
        try state.withLock { state in
            var below = state.order.count + 1
            if let cursor = query.cursor {
                guard let seq = TaskCursor.decode(cursor) else { throw TaskQueueError(.invalid, "cursor is not one this server made") }
                below = seq
            }
            var tasks: [TaskRecord] = []
            var seq = min(below, state.order.count + 1) - 1
            var last = 0
            while seq >= 1, tasks.count < query.limit {
                let task = state.tasks[state.order[seq - 1]]!
                if (query.status == nil || task.status == query.status) && (query.queue == nil || task.queue == query.queue) {
                    tasks.append(task)
                    last = seq
                }
                seq -= 1
            }
            let more = tasks.count == query.limit && (1..<max(1, last)).contains { s in
                let task = state.tasks[state.order[s - 1]]!
                return (query.status == nil || task.status == query.status) && (query.queue == nil || task.queue == query.queue)
            }
            return TaskPage(tasks: tasks, nextCursor: more ? TaskCursor.encode(last) : nil)
        }
    }

    public func update(
        id: String,
        _ change: @escaping @Sendable (inout TaskRecord) throws -> Void,
        onCommit: @escaping CommitObserver
    ) async throws -> TaskRecord {
        try state.withLock { state in
            guard let before = state.tasks[id] else { throw TaskQueueError.notFound(id) }
            var after = before
            try change(&after)
            let committed = state.write(before: before, after: after, epoch: eventEpoch)
            onCommit([committed])
            return committed.after
        }
    }

    public func claimNext(
        queue: String,
        _ change: @escaping @Sendable (inout TaskRecord) -> Void,
        onCommit: @escaping CommitObserver
    ) async throws -> TaskRecord? {
        state.withLock { state in
            var best: (task: TaskRecord, seq: Int)?
            for (seq, id) in state.order.enumerated() {
                let task = state.tasks[id]!
                guard task.queue == queue, task.status == .pending else { continue }
                if let current = best, current.task.priority >= task.priority { continue }
                best = (task, seq)
            }
            guard let before = best?.task else { return nil }
            var after = before
            change(&after)
            let committed = state.write(before: before, after: after, epoch: eventEpoch)
            onCommit([committed])
            return committed.after
        }
    }

    public func expireLeases(
        now: Timestamp,
        _ change: @escaping @Sendable (inout TaskRecord) -> Void,
        onCommit: @escaping CommitObserver
    ) async throws -> [TaskRecord] {
        state.withLock { state in
            var changes: [TaskChange] = []
            for id in state.order {
                let before = state.tasks[id]!
                guard before.status == .running, let lease = before.leaseExpiresAt, lease <= now else { continue }
                var after = before
                change(&after)
                changes.append(state.write(before: before, after: after, epoch: eventEpoch))
            }
            if !changes.isEmpty { onCommit(changes) }
            return changes.map(\.after)
        }
    }

    public func counts() async throws -> QueueCounts {
        state.withLock { state in
            var counts = QueueCounts()
            for task in state.tasks.values {
                counts.all[task.status] += 1
                counts.byQueue[task.queue, default: TaskCounts()][task.status] += 1
            }
            return counts
        }
    }

    public func checkHealth() async throws {}
}

/// Opaque list cursors: the insertion sequence number of the last task on a page.
public enum TaskCursor {
    public static func encode(_ sequence: Int) -> String { "c" + String(sequence, radix: 36) }

    /// The sequence number in a cursor that ``encode(_:)`` made: `c`, then 1 to 12 lower-case
    /// base-36 digits without a leading zero; nil for anything else.
    public static func decode(_ cursor: String) -> Int? {
        let digits = cursor.utf8.dropFirst()
        guard cursor.utf8.first == UInt8(ascii: "c"), (1...12).contains(digits.count), digits.first != UInt8(ascii: "0"),
            digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }),
            let value = Int(cursor.dropFirst(), radix: 36)
        else { return nil }
        return value
    }
}
