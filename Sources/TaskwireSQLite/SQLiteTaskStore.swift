import GRDB
import Synchronization
public import Logging
import TaskwireHub
public import TaskwireQueue

/// A ``TaskStore`` in one SQLite file: durable, for a single node.
///
/// The database is opened in WAL mode through a GRDB `DatabasePool`: one writer connection
/// and up to ``SQLiteStoreConfiguration/maximumReaderCount`` readers, which read committed
/// data concurrently with the writer. Every write runs in a `BEGIN IMMEDIATE` transaction on
/// the writer, in a savepoint of its own: writes that arrive while a commit is under way share
/// the next transaction and its one fsync (group commit, see ``GroupCommit``), yet each succeeds
/// or fails alone and returns only once committed. The store reads the rows, applies the closure
/// from ``TaskTransitions`` (the rules live there, not in SQL) and writes them back.
///
/// Commit reports: the writer runs one database access at a time. A write commits, then calls
/// `onCommit` while it still holds the writer, before the next write can begin, so reports
/// arrive one at a time and in commit order. A rolled-back transaction reports nothing.
///
/// ```swift
/// let store = try SQLiteTaskStore(path: "/var/lib/taskwire/tasks.sqlite", logger: logger)
/// try await store.migrate()
/// ```
///
/// The path must name a file (WAL needs one, so `:memory:` is not supported); its directory
/// must exist. Text is stored as UTF-8 exactly as given; like any JSON text, it must not hold a
/// raw NUL character.
public final class SQLiteTaskStore: TaskStore {
    /// The database file.
    public let path: String
    /// How the database was opened.
    public let configuration: SQLiteStoreConfiguration
    let pool: DatabasePool
    let logger: Logger
    /// Every write goes through it (see ``GroupCommit``).
    let groupCommit: GroupCommit
    private let epoch = Mutex("")

    /// Empty until ``migrate()`` returned.
    public var eventEpoch: String { epoch.withLock { $0 } }

    /// The event epoch, for writes and event reads: the store must have been migrated.
    func migratedEpoch() throws -> String {
        let value = eventEpoch
        guard !value.isEmpty else { throw TaskQueueError(.unavailable, "the task store is not migrated yet") }
        return value
    }

    /// Opens (or creates) the database file at `path`. Call ``migrate()`` before use.
    /// - Parameters:
    ///   - path: the database file; its directory must exist.
    ///   - configuration: durability and locking.
    ///   - logger: where the store logs; entries carry `tw.store.path`.
    /// - Throws: when the file cannot be opened or put in WAL mode.
    public init(path: String, configuration: SQLiteStoreConfiguration = .init(), logger: Logger) throws {
        var logger = logger
        logger[metadataKey: "tw.store.path"] = "\(path)"
        var grdb = Configuration()
        grdb.label = "taskwire.sqlite"
        grdb.busyMode = .timeout(configuration.busyTimeout.seconds)
        grdb.maximumReaderCount = configuration.maximumReaderCount
        grdb.journalMode = .wal
        let synchronous = "PRAGMA synchronous = \(configuration.synchronous)"
        grdb.prepareDatabase { db in try db.execute(sql: synchronous) }
        let pool = try DatabasePool(path: path, configuration: grdb)
        // GRDB sets `synchronous = NORMAL` on the writer when it enables WAL, after the
        // `prepareDatabase` functions ran: set the configured level again.
        try pool.writeWithoutTransaction { db in try db.execute(sql: synchronous) }
        self.path = path
        self.configuration = configuration
        self.pool = pool
        self.logger = logger
        self.groupCommit = GroupCommit(pool: pool) { [logger] error, operation in Self.storeError(error, operation: operation, logger: logger) }
        logger.debug("sqlite task store opened", metadata: ["tw.sqlite.synchronous": "\(configuration.synchronous)"])
    }

    /// Applies the migrations not yet applied (see `Migrations/`); applying them again is a no-op.
    public func migrate() async throws {
        let migrator = SQLiteMigrations.migrator
        do {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                migrator.asyncMigrate(pool) { result in continuation.resume(with: result.map { _ in () }) }
            }
            let stored = try await pool.read { db in
                try String.fetchOne(db, sql: "SELECT value FROM taskwire_meta WHERE key = 'event_epoch'")
            }
            guard let stored else { throw TaskQueueError(.unavailable, "the task store has no event epoch") }
            epoch.withLock { $0 = stored }
        } catch let error as DatabaseError {
            throw storeError(error, operation: "migrate")
        }
        logger.debug("sqlite task store migrated", metadata: ["tw.sqlite.schema": "\(SQLiteMigrations.identifiers.last ?? "-")"])
    }

    /// Closes every connection; the store cannot be used afterwards.
    public func close() throws {
        try pool.close()
    }

    // MARK: Reads

    public func task(id: String) async throws -> TaskRecord? {
        try await read("task") { db in try TaskRow.fetchOne(db, "WHERE id = ?", [id])?.task }
    }

    public func list(_ query: TaskListQuery) async throws -> TaskPage {
        var conditions = ["seq < ?"]
        var arguments: [DatabaseValue] = [try query.seqBelow().databaseValue]
        if let status = query.status {
            conditions.append("status = ?")
            arguments.append(status.rawValue.databaseValue)
        }
        if let queue = query.queue {
            conditions.append("queue = ?")
            arguments.append(queue.databaseValue)
        }
        arguments.append(query.rowsToRead.databaseValue)
        let tail = "WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq DESC LIMIT ?"
        let rows = try await read("list") { [arguments] db in try TaskRow.fetchAll(db, tail, StatementArguments(arguments)) }
        return TaskPage(rows: rows, limit: query.limit)
    }

    public func events(taskID: String, after seq: UInt64, limit: Int) async throws -> [TaskEventRecord] {
        let epoch = try migratedEpoch()
        let after = Int64(clamping: seq)
        let limit = max(0, limit)
        return try await read("events") { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT seq, event_type, body, created_at FROM task_events WHERE task_id = ? AND seq > ? ORDER BY seq LIMIT ?"),
                arguments: [taskID, after, limit]
            )
            return rows.map { row in
                let seq: Int64 = row[0]
                return TaskEventRecord(
                    taskID: taskID,
                    seq: UInt64(seq),
                    epoch: epoch,
                    eventType: row[1],
                    body: row[2],
                    createdAt: Timestamp(nanosecondsSinceEpoch: row[3])
                )
            }
        }
    }

    public func counts() async throws -> QueueCounts {
        try await read("counts") { db in
            var counts = QueueCounts()
            let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT queue, status, count FROM queue_counts WHERE count > 0"))
            for row in rows {
                counts.add(row[2], queue: row[0], status: row[1])
            }
            return counts
        }
    }

    public func checkHealth() async throws {
        _ = try await read("health") { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    /// A value of a pragma as the writer connection sees it (for tests and diagnostics).
    package func writerPragma(_ name: String) async throws -> String? {
        try await pool.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA \(name)") }
    }

    // MARK: Errors

    /// Runs `body` on a reader, mapping database failures.
    func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch let error as DatabaseError {
            throw storeError(error, operation: operation)
        }
    }

    /// What callers see of a database failure: cancellation stays cancellation, anything else
    /// is a ``TaskQueueError`` `.unavailable` (details go to the log, not to clients).
    func storeError(_ error: DatabaseError, operation: String) -> any Error {
        Self.storeError(error, operation: operation, logger: logger)
    }

    static func storeError(_ error: DatabaseError, operation: String, logger: Logger) -> any Error {
        if error.resultCode == .SQLITE_INTERRUPT { return CancellationError() }
        logger.info(
            "sqlite task store operation failed",
            metadata: [
                "tw.store.operation": "\(operation)",
                "tw.sqlite.code": "\(error.extendedResultCode.rawValue)",
                "tw.sqlite.message": "\(error.message ?? "")",
            ]
        )
        return TaskQueueError(.unavailable, "the task store could not complete the request")
    }
}
