import GRDB
import Synchronization
public import TaskwireHub
public import TaskwireQueue

extension SQLiteTaskStore {
    public func insert(_ task: TaskRecord, onCommit: @escaping CommitObserver) async throws {
        let epoch = try migratedEpoch()
        try await write("insert", onCommit: onCommit) { db in
            let change = TaskChange.numbered(before: nil, after: task, epoch: epoch)
            do {
                try db.cachedStatement(sql: TaskRow.insertSQL).execute(arguments: StatementArguments(TaskRow.values(change.after)))
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                // `seq` is generated, so the only unique value a caller chooses is the id.
                throw TaskQueueError(.conflict, "task \"\(task.id)\" already exists")
            }
            try TaskRow.insertEvent(of: change, db)
            return ((), [change])
        }
    }

    public func update(
        id: String,
        _ change: @escaping @Sendable (inout TaskRecord) throws -> Void,
        onCommit: @escaping CommitObserver
    ) async throws -> TaskRecord {
        let epoch = try migratedEpoch()
        return try await write("update", onCommit: onCommit) { db in
            guard let (before, seq) = try TaskRow.fetchOne(db, "WHERE id = ?", [id]) else {
                throw TaskQueueError(.notFound, "no task with id \"\(id)\"")
            }
            var after = before
            try change(&after)
            let committed = try Self.write(before: before, after: after, seq: seq, epoch: epoch, db)
            return (committed.after, [committed])
        }
    }

    public func claimNext(
        queue: String,
        _ change: @escaping @Sendable (inout TaskRecord) -> Void,
        onCommit: @escaping CommitObserver
    ) async throws -> TaskRecord? {
        let epoch = try migratedEpoch()
        return try await write("claim", onCommit: onCommit) { db in
            // Served by the index tasks_claim (queue, status, priority DESC, seq).
            let next = try TaskRow.fetchOne(
                db,
                "WHERE queue = ? AND status = 'pending' ORDER BY priority DESC, seq ASC LIMIT 1",
                [queue]
            )
            guard let (before, seq) = next else { return (nil, []) }
            var after = before
            change(&after)
            let committed = try Self.write(before: before, after: after, seq: seq, epoch: epoch, db)
            return (committed.after, [committed])
        }
    }

    public func expireLeases(
        now: Timestamp,
        _ change: @escaping @Sendable (inout TaskRecord) -> Void,
        onCommit: @escaping CommitObserver
    ) async throws -> [TaskRecord] {
        let epoch = try migratedEpoch()
        return try await write("expire leases", onCommit: onCommit) { db in
            // Served by the partial index tasks_running_lease (whose entries end with the rowid,
            // `seq`), which touches only the expired rows: earliest lease first.
            let expired = try TaskRow.fetchAll(
                db,
                "WHERE status = 'running' AND lease_expires_at <= ? ORDER BY lease_expires_at, seq",
                [now.nanosecondsSinceEpoch]
            )
            var changes: [TaskChange] = []
            changes.reserveCapacity(expired.count)
            for (before, seq) in expired {
                var after = before
                change(&after)
                changes.append(try Self.write(before: before, after: after, seq: seq, epoch: epoch, db))
            }
            return (changes.map(\.after), changes)
        }
    }

    /// Numbers the change's event, and writes the task (row `seq`) and the event.
    private static func write(before: TaskRecord, after: TaskRecord, seq: Int64, epoch: String, _ db: Database) throws -> TaskChange {
        let change = TaskChange.numbered(before: before, after: after, epoch: epoch)
        try db.cachedStatement(sql: TaskRow.updateSQL).execute(arguments: TaskRow.updateArguments(change.after, seq: seq))
        try TaskRow.insertEvent(of: change, db)
        return change
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction on the writer (shared with the writes that
    /// arrived meanwhile, each in its own savepoint: see ``GroupCommit``) and, once it committed,
    /// reports its changes to `onCommit` (if any) while still on the writer, so that reports
    /// keep commit order. When `body` throws, its savepoint is rolled back, nothing is reported,
    /// and the error reaches the caller unchanged.
    private func write<T: Sendable>(
        _ operation: String,
        onCommit: @escaping CommitObserver,
        _ body: @escaping @Sendable (Database) throws -> (T, [TaskChange])
    ) async throws -> T {
        let result = WriteResult<T>()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            groupCommit.submit(
                GroupCommit.Write(
                    operation: operation,
                    body: { db in
                        let (value, changes) = try body(db)
                        result.value.withLock { $0 = value }
                        return changes
                    },
                    onCommit: onCommit,
                    finish: { failure in
                        if let failure {
                            continuation.resume(throwing: failure)
                        } else if let value = result.value.withLock({ $0 }) {
                            continuation.resume(returning: value)
                        } else {
                            continuation.resume(throwing: TaskQueueError(.unavailable, "the task store lost a write's result"))
                        }
                    }
                )
            )
        }
    }
}

/// The value a write returned, kept from its savepoint until its transaction committed.
private final class WriteResult<T: Sendable>: Sendable {
    let value = Mutex<T?>(nil)
}
