import Logging
import PostgresNIO
public import TaskwireHub
public import TaskwireQueue
import TaskwireProtocol

extension PostgresTaskStore {
    public func insert(_ task: TaskRecord, onCommit: @escaping CommitObserver) async throws {
        let epoch = try migratedEpoch()
        try await write("insert", onCommit: onCommit) { connection in
            let change = TaskChange.numbered(before: nil, after: task, epoch: epoch)
            do {
                try await self.run(PostgresTaskRow.insert(change.after), on: connection)
            } catch let error as PSQLError where error.sqlState == "23505" {
                // `seq` is generated, so the only unique value a caller chooses is the id.
                throw TaskQueueError(.conflict, "task \"\(task.id)\" already exists")
            }
            try await self.insertEvent(of: change, on: connection)
            return ((), [change])
        }
    }

    public func update(
        id: String,
        _ change: @escaping @Sendable (inout TaskRecord) throws -> Void,
        onCommit: @escaping CommitObserver
    ) async throws -> TaskRecord {
        let epoch = try migratedEpoch()
        var binds = PostgresBindings()
        binds.append(id)
        let select = PostgresTaskRow.select("WHERE id = $1 FOR UPDATE", binds)
        return try await write("update", onCommit: onCommit) { connection in
            guard let (before, seq) = try await Self.fetch(select, on: connection, logger: self.logger).first else {
                throw TaskQueueError(.notFound, "no task with id \"\(id)\"")
            }
            var after = before
            do {
                try change(&after)
            } catch {
                throw ChangeRefused(error: error)
            }
            let committed = try await self.write(before: before, after: after, seq: seq, epoch: epoch, on: connection)
            return (committed.after, [committed])
        }
    }

    public func claimNext(
        queue: String,
        _ change: @escaping @Sendable (inout TaskRecord) -> Void,
        onCommit: @escaping CommitObserver
    ) async throws -> TaskRecord? {
        let epoch = try migratedEpoch()
        var binds = PostgresBindings()
        binds.append(queue)
        // Served by the partial index tasks_claim (queue, priority DESC, seq); rows another node
        // is claiming right now are skipped, not waited for.
        let select = PostgresTaskRow.select(
            "WHERE queue = $1 AND status = 'pending' ORDER BY priority DESC, seq ASC LIMIT 1 FOR UPDATE SKIP LOCKED",
            binds
        )
        return try await write("claim", onCommit: onCommit) { connection in
            guard let (before, seq) = try await Self.fetch(select, on: connection, logger: self.logger).first else { return (nil, []) }
            var after = before
            change(&after)
            let committed = try await self.write(before: before, after: after, seq: seq, epoch: epoch, on: connection)
            return (committed.after, [committed])
        }
    }

    public func expireLeases(
        now: Timestamp,
        _ change: @escaping @Sendable (inout TaskRecord) -> Void,
        onCommit: @escaping CommitObserver
    ) async throws -> [TaskRecord] {
        let epoch = try migratedEpoch()
        var binds = PostgresBindings()
        binds.append(now.nanosecondsSinceEpoch)
        // Served by the partial index tasks_running_lease: earliest lease first. Tasks another
        // node is changing right now (or expiring) are left to it.
        let select = PostgresTaskRow.select(
            "WHERE status = 'running' AND lease_expires_at <= $1 ORDER BY lease_expires_at, seq FOR UPDATE SKIP LOCKED",
            binds
        )
        return try await write("expire leases", onCommit: onCommit) { connection in
            let expired = try await Self.fetch(select, on: connection, logger: self.logger)
            var changes: [TaskChange] = []
            changes.reserveCapacity(expired.count)
            for (before, seq) in expired {
                var after = before
                change(&after)
                changes.append(try await self.write(before: before, after: after, seq: seq, epoch: epoch, on: connection))
            }
            return (changes.map(\.after), changes)
        }
    }

    /// Numbers the change's event, and writes the task (row `seq`) and the event.
    private func write(before: TaskRecord, after: TaskRecord, seq: Int64, epoch: String, on connection: PostgresConnection) async throws -> TaskChange {
        let change = TaskChange.numbered(before: before, after: after, epoch: epoch)
        try await run(PostgresTaskRow.update(change.after, seq: seq), on: connection)
        try await insertEvent(of: change, on: connection)
        return change
    }

    private func insertEvent(of change: TaskChange, on connection: PostgresConnection) async throws {
        guard let insert = PostgresTaskRow.insertEvent(of: change) else { return }
        try await run(insert, on: connection)
    }

    private func run(_ query: PostgresQuery, on connection: PostgresConnection) async throws {
        _ = try await connection.query(query, logger: logger).collect()
    }

    /// Runs `body` in one transaction while holding the store's write lock and, once it
    /// committed, reports its changes to `onCommit` (if any) before letting go of the lock, so
    /// that reports keep commit order. When `body` throws, the transaction is rolled back and
    /// nothing is reported; a change closure's error reaches the caller unchanged, a database
    /// failure as `.unavailable`. A deadlock or serialization failure (possible only against
    /// other nodes) is retried a few times.
    private func write<T: Sendable>(
        _ operation: String,
        onCommit: @escaping CommitObserver,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> (T, [TaskChange])
    ) async throws -> T {
        try await writeLock.withLock {
            var attempt = 1
            while true {
                do {
                    let (value, changes) = try await withConnection { connection in
                        try await self.transaction(on: connection, body)
                    }
                    if !changes.isEmpty { onCommit(changes) }
                    return value
                } catch let refused as ChangeRefused {
                    throw refused.error
                } catch let error as PSQLError where error.isTransient && attempt < Self.maximumAttempts {
                    attempt += 1
                    logger.debug("postgres write retried", metadata: ["tw.store.operation": "\(operation)", "tw.postgres.sqlstate": "\(error.sqlState ?? "")"])
                } catch {
                    throw storeError(error, operation: operation)
                }
            }
        }
    }

    /// How often a write runs into a deadlock or serialization failure before it gives up.
    static var maximumAttempts: Int { 4 }

    /// `BEGIN`, `body`, the log entries of its changes, `COMMIT`; `ROLLBACK` when anything fails (a broken connection is then
    /// dropped by the pool).
    private func transaction<T: Sendable>(
        on connection: PostgresConnection,
        _ body: @Sendable (PostgresConnection) async throws -> (T, [TaskChange])
    ) async throws -> (T, [TaskChange]) {
        try await run("BEGIN", on: connection)
        let outcome: (T, [TaskChange])
        do {
            outcome = try await body(connection)
            try await appendToLog(outcome.1, on: connection)
        } catch {
            _ = try? await run("ROLLBACK", on: connection)
            throw error
        }
        try await run("COMMIT", on: connection)
        return outcome
    }

    /// Appends the events of `changes` to the cluster's event log (see ``TaskEvents/publications(of:)``),
    /// last in their transaction: every node's backplane delivers them once committed.
    private func appendToLog(_ changes: [TaskChange], on connection: PostgresConnection) async throws {
        var entries: [PostgresStreamLog.Entry] = []
        var time: Timestamp?
        for change in changes {
            guard let event = change.event else { continue }
            time = time ?? event.createdAt
            for publication in TaskEvents.publications(of: change) {
                entries.append(
                    PostgresStreamLog.Entry(
                        stream: publication.stream.rawValue,
                        body: event.body,
                        coalescingKey: publication.coalescingKey,
                        seq: publication.seq
                    )
                )
            }
        }
        guard let time else { return }
        _ = try await PostgresStreamLog.append(entries, at: time, on: connection, logger: logger)
    }
}

/// A change closure threw: its error goes to the caller unchanged, after the rollback.
struct ChangeRefused: Error {
    var error: any Error
}

extension PSQLError {
    /// The SQLSTATE the server answered with, if any.
    var sqlState: String? { serverInfo?[.sqlState] }

    /// A deadlock (40P01) or serialization failure (40001): the transaction may succeed if retried.
    var isTransient: Bool { sqlState == "40P01" || sqlState == "40001" }
}
