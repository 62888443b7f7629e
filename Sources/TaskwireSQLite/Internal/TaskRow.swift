import GRDB
import TaskwireHub
import TaskwireQueue

/// How a ``TaskRecord`` maps to a row of `tasks`, in one place.
enum TaskRow {
    /// The columns read for a task, `seq` last; ``decode(_:)`` reads them by position.
    static let columns = """
        id, queue, name, payload, priority, status, progress, message, attempts, max_attempts, \
        worker_id, lease_expires_at, result, error, created_at, updated_at, event_seq, seq
        """

    static let insertSQL = """
        INSERT INTO tasks (id, queue, name, payload, priority, status, progress, message, attempts, max_attempts, \
        worker_id, lease_expires_at, result, error, created_at, updated_at, event_seq) \
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// Rewrites every field of the row whose `seq` is the last argument.
    static let updateSQL = """
        UPDATE tasks SET id = ?, queue = ?, name = ?, payload = ?, priority = ?, status = ?, progress = ?, \
        message = ?, attempts = ?, max_attempts = ?, worker_id = ?, lease_expires_at = ?, result = ?, error = ?, \
        created_at = ?, updated_at = ?, event_seq = ? WHERE seq = ?
        """

    /// The values of `task` in the order of ``insertSQL``.
    static func values(_ task: TaskRecord) -> [(any DatabaseValueConvertible)?] {
        [
            task.id,
            task.queue,
            task.name,
            task.payload,
            task.priority,
            task.status.rawValue,
            task.progress,
            task.message,
            task.attempts,
            task.maxAttempts,
            task.workerID,
            task.leaseExpiresAt?.nanosecondsSinceEpoch,
            task.result,
            task.error,
            task.createdAt.nanosecondsSinceEpoch,
            task.updatedAt.nanosecondsSinceEpoch,
            Int64(task.eventSeq),
        ]
    }

    /// The arguments of ``updateSQL`` for the row `seq`.
    static func updateArguments(_ task: TaskRecord, seq: Int64) -> StatementArguments {
        StatementArguments(values(task) + [seq])
    }

    /// A task and its `seq`, from a row selected with ``columns``.
    static func decode(_ row: Row) throws -> (task: TaskRecord, seq: Int64) {
        let statusText: String = row[5]
        guard let status = TaskStatus(rawValue: statusText) else {
            throw TaskQueueError(.unavailable, "stored task has an unknown status")
        }
        let lease: Int64? = row[11]
        let eventSeq: Int64 = row[16]
        let task = TaskRecord(
            id: row[0],
            queue: row[1],
            name: row[2],
            payload: row[3],
            priority: row[4],
            status: status,
            progress: row[6],
            message: row[7],
            attempts: row[8],
            maxAttempts: row[9],
            workerID: row[10],
            leaseExpiresAt: lease.map(Timestamp.init(nanosecondsSinceEpoch:)),
            result: row[12],
            error: row[13],
            createdAt: Timestamp(nanosecondsSinceEpoch: row[14]),
            updatedAt: Timestamp(nanosecondsSinceEpoch: row[15]),
            eventSeq: UInt64(max(0, eventSeq))
        )
        return (task, row[17])
    }

    /// Writes the change's event (if any) to `task_events`.
    static func insertEvent(of change: TaskChange, _ db: Database) throws {
        guard let event = change.event else { return }
        try db.cachedStatement(sql: "INSERT INTO task_events (task_id, seq, event_type, body, created_at) VALUES (?, ?, ?, ?, ?)").execute(
            arguments: [event.taskID, Int64(event.seq), event.eventType, event.body, event.createdAt.nanosecondsSinceEpoch]
        )
    }

    /// Every task matching `sql` (a `WHERE`/`ORDER BY` tail after `FROM tasks`).
    static func fetchAll(_ db: Database, _ tail: String, _ arguments: StatementArguments = []) throws -> [(task: TaskRecord, seq: Int64)] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT \(columns) FROM tasks \(tail)"), arguments: arguments).map(decode)
    }

    /// The first task matching `sql`, or nil.
    static func fetchOne(_ db: Database, _ tail: String, _ arguments: StatementArguments = []) throws -> (task: TaskRecord, seq: Int64)? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM tasks \(tail)"), arguments: arguments).map(decode)
    }
}
