import PostgresNIO
import TaskwireHub
import TaskwireQueue

/// How a ``TaskRecord`` maps to a row of `tasks`, in one place.
enum PostgresTaskRow {
    /// The columns read for a task, `seq` last; ``decode(_:)`` reads them by position.
    static let columns = """
        id, queue, name, payload, priority, status, progress, message, attempts, max_attempts, \
        worker_id, lease_expires_at, result, error, created_at, updated_at, event_seq, seq
        """

    static let insertSQL = """
        INSERT INTO tasks (id, queue, name, payload, priority, status, progress, message, attempts, max_attempts, \
        worker_id, lease_expires_at, result, error, created_at, updated_at, event_seq) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
        """

    /// Rewrites every field of the row whose `seq` is `$18`.
    static let updateSQL = """
        UPDATE tasks SET id = $1, queue = $2, name = $3, payload = $4, priority = $5, status = $6, progress = $7, \
        message = $8, attempts = $9, max_attempts = $10, worker_id = $11, lease_expires_at = $12, result = $13, \
        error = $14, created_at = $15, updated_at = $16, event_seq = $17 WHERE seq = $18
        """

    /// The values of `task` in the order of ``insertSQL``.
    static func bindings(_ task: TaskRecord) -> PostgresBindings {
        var binds = PostgresBindings(capacity: 18)
        binds.append(task.id)
        binds.append(task.queue)
        binds.append(task.name)
        binds.append(task.payload)
        binds.append(Int64(task.priority))
        binds.append(task.status.rawValue)
        binds.append(task.progress)
        binds.append(task.message)
        binds.append(Int64(task.attempts))
        binds.append(Int64(task.maxAttempts))
        binds.append(task.workerID)
        binds.append(task.leaseExpiresAt?.nanosecondsSinceEpoch)
        binds.append(task.result)
        binds.append(task.error)
        binds.append(task.createdAt.nanosecondsSinceEpoch)
        binds.append(task.updatedAt.nanosecondsSinceEpoch)
        binds.append(Int64(clamping: task.eventSeq))
        return binds
    }

    /// The update of row `seq` to `task`.
    static func update(_ task: TaskRecord, seq: Int64) -> PostgresQuery {
        var binds = bindings(task)
        binds.append(seq)
        return PostgresQuery(unsafeSQL: updateSQL, binds: binds)
    }

    /// The insert of `task`.
    static func insert(_ task: TaskRecord) -> PostgresQuery {
        PostgresQuery(unsafeSQL: insertSQL, binds: bindings(task))
    }

    /// The query of every task matching `tail` (a `WHERE`/`ORDER BY`/`FOR UPDATE` clause after `FROM tasks`).
    static func select(_ tail: String, _ binds: PostgresBindings = PostgresBindings()) -> PostgresQuery {
        PostgresQuery(unsafeSQL: "SELECT \(columns) FROM tasks \(tail)", binds: binds)
    }

    /// A task and its `seq`, from a row selected with ``columns``.
    static func decode(_ row: PostgresRow) throws -> (task: TaskRecord, seq: Int64) {
        let cells = row.makeRandomAccess()
        let statusText = try cells[5].decode(String.self)
        guard let status = TaskStatus(rawValue: statusText) else {
            throw TaskQueueError(.unavailable, "stored task has an unknown status")
        }
        let task = TaskRecord(
            id: try cells[0].decode(String.self),
            queue: try cells[1].decode(String.self),
            name: try cells[2].decode(String.self),
            payload: try cells[3].decode(String.self),
            priority: Int(try cells[4].decode(Int64.self)),
            status: status,
            progress: try cells[6].decode(Double?.self),
            message: try cells[7].decode(String?.self),
            attempts: Int(try cells[8].decode(Int64.self)),
            maxAttempts: Int(try cells[9].decode(Int64.self)),
            workerID: try cells[10].decode(String?.self),
            leaseExpiresAt: try cells[11].decode(Int64?.self).map(Timestamp.init(nanosecondsSinceEpoch:)),
            result: try cells[12].decode(String?.self),
            error: try cells[13].decode(String?.self),
            createdAt: Timestamp(nanosecondsSinceEpoch: try cells[14].decode(Int64.self)),
            updatedAt: Timestamp(nanosecondsSinceEpoch: try cells[15].decode(Int64.self)),
            eventSeq: UInt64(max(0, try cells[16].decode(Int64.self)))
        )
        return (task, try cells[17].decode(Int64.self))
    }

    /// The insert of the change's event into `task_events`, or nil when it has none.
    static func insertEvent(of change: TaskChange) -> PostgresQuery? {
        guard let event = change.event else { return nil }
        return """
            INSERT INTO task_events (task_id, seq, event_type, body, created_at) \
            VALUES (\(event.taskID), \(Int64(clamping: event.seq)), \(event.eventType), \(event.body), \(event.createdAt.nanosecondsSinceEpoch))
            """
    }
}
