public import TaskwireHub
public import TaskwireQueue

extension TaskStoreConformance {
    /// The time the fixtures start at: an odd number of nanoseconds, so precision loss shows.
    public static let start = Timestamp(nanosecondsSinceEpoch: 1_800_000_000_123_456_789)

    /// A task made `offset` seconds after ``start``, ready to insert.
    ///
    /// A running task gets a worker, an attempt and a lease 30 s after its creation.
    public static func makeTask(
        _ id: String,
        queue: String = "default",
        priority: Int = 0,
        status: TaskStatus = .pending,
        offset: Int = 0
    ) -> TaskRecord {
        let created = start + .seconds(offset)
        var task = TaskRecord(
            id: id,
            queue: queue,
            name: "job \(id)",
            payload: #"{"id":"\#(id)"}"#,
            priority: priority,
            status: status,
            maxAttempts: 3,
            createdAt: created,
            updatedAt: created
        )
        if status != .pending {
            task.attempts = 1
            task.workerID = "worker-1"
        }
        if status == .running {
            task.leaseExpiresAt = created + .seconds(30)
        }
        return task
    }

    /// Inserts `tasks` in order, ignoring their reports.
    func insert(_ tasks: [TaskRecord], into store: any TaskStore) async throws {
        for task in tasks {
            try await store.insert(task, onCommit: { _ in })
        }
    }

    /// Every task of `store`, newest first, read page by page.
    func allTasks(of store: any TaskStore, status: TaskStatus? = nil, queue: String? = nil, pageSize: Int = 500) async throws -> [TaskRecord] {
        var tasks: [TaskRecord] = []
        var cursor: String?
        repeat {
            let page = try await store.list(TaskListQuery(status: status, queue: queue, limit: pageSize, cursor: cursor))
            tasks += page.tasks
            cursor = page.nextCursor
        } while cursor != nil
        return tasks
    }

    /// Counts computed from the tasks themselves, to compare with ``TaskStore/counts()``.
    static func tally(_ tasks: [TaskRecord]) -> QueueCounts {
        var counts = QueueCounts()
        for task in tasks {
            counts.all[task.status] += 1
            counts.byQueue[task.queue, default: TaskCounts()][task.status] += 1
        }
        return counts
    }
}

extension TaskCounts {
    /// Counts with the given numbers, zero elsewhere.
    static func with(pending: Int = 0, running: Int = 0, completed: Int = 0, failed: Int = 0, cancelled: Int = 0) -> TaskCounts {
        var counts = TaskCounts()
        counts.pending = pending
        counts.running = running
        counts.completed = completed
        counts.failed = failed
        counts.cancelled = cancelled
        return counts
    }
}
