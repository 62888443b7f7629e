public import Logging
import NIOSSL
import PostgresNIO
public import ServiceLifecycle
import Synchronization
import TaskwireHub
public import TaskwireQueue

/// A ``TaskStore`` in PostgreSQL: one database shared by several Taskwire nodes.
///
/// The store owns a `PostgresClient` (a connection pool). It is a `Service`: ``run()`` runs the
/// pool, and nothing reaches the database unless it runs. Every write is one transaction on one
/// pooled connection; the store reads the rows it changes with `SELECT … FOR UPDATE` (claims and
/// lease expiry with `SKIP LOCKED`, so nodes never wait for each other's candidates), applies the
/// closure from ``TaskTransitions`` and writes them back.
///
/// Commit reports: each store holds a lock around every write transaction, from `BEGIN` through
/// `COMMIT` to the call of `onCommit`. One node's writes therefore commit, and are reported, one
/// at a time and in commit order, exactly as on SQLite's single writer; the closures run in that
/// order too. Writes of different nodes run concurrently and meet only in the database, on row
/// locks. Reads do not take the lock and use the rest of the pool.
///
/// ```swift
/// let store = PostgresTaskStore(configuration: .init(url: PostgresURL("postgres://tw:secret@db/taskwire")!), logger: logger)
/// // in a ServiceGroup, or: async let running: Void = store.run()
/// try await store.migrate()
/// ```
public final class PostgresTaskStore: TaskStore, Service {
    /// How the store reaches its database.
    public let configuration: PostgresStoreConfiguration
    let client: PostgresClient
    let logger: Logger
    let writeLock = AsyncLock()
    let started = StartGate()
    private let epoch = Mutex("")

    /// Empty until ``migrate()`` returned. Every stream of the cluster's event log is numbered in it.
    public var eventEpoch: String { epoch.withLock { $0 } }

    /// True: each write appends its events to the cluster's event log (``PostgresStreamLog``) in
    /// its transaction, and every node's backplane delivers them from there.
    public var logsEvents: Bool { true }

    /// Makes the store and its pool; no connection is opened before ``run()`` and the first request.
    /// - Parameters:
    ///   - configuration: the database and the pool.
    ///   - logger: where the store logs; entries carry `tw.store.url` without the password.
    public init(configuration: PostgresStoreConfiguration, logger: Logger) {
        var logger = logger
        logger[metadataKey: "tw.store.url"] = "\(configuration.url.redacted)"
        self.configuration = configuration
        self.logger = logger
        self.client = PostgresClient(configuration: Self.clientConfiguration(configuration), backgroundLogger: logger)
    }

    /// Runs the connection pool until cancelled or gracefully shut down. Requests made before
    /// it started wait for it.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.client.run() }
            started.open()
        }
    }

    /// Applies the migrations not yet applied (see `Migrations/`); safe from several nodes at once.
    public func migrate() async throws {
        let migrator = PostgresMigrator(schema: configuration.schema, logger: logger)
        let stored = try await read("migrate") { connection in
            let applied = try await migrator.migrate(on: connection)
            if !applied.isEmpty {
                self.logger.debug("postgres task store migrated", metadata: ["tw.postgres.applied": "\(applied)"])
            }
            let rows = try await connection.query("SELECT value FROM taskwire_meta WHERE key = 'event_epoch'", logger: self.logger)
            var value: String?
            for try await text in rows.decode(String.self) { value = text }
            return value
        }
        guard let stored else { throw TaskQueueError(.unavailable, "the task store has no event epoch") }
        epoch.withLock { $0 = stored }
    }

    /// The event epoch, for writes and event reads: the store must have been migrated.
    func migratedEpoch() throws -> String {
        let value = eventEpoch
        guard !value.isEmpty else { throw TaskQueueError(.unavailable, "the task store is not migrated yet") }
        return value
    }

    // MARK: Reads

    public func task(id: String) async throws -> TaskRecord? {
        var binds = PostgresBindings()
        binds.append(id)
        let select = PostgresTaskRow.select("WHERE id = $1", binds)
        return try await read("task") { connection in
            try await Self.fetch(select, on: connection, logger: self.logger).first?.task
        }
    }

    public func list(_ query: TaskListQuery) async throws -> TaskPage {
        var binds = PostgresBindings()
        binds.append(try query.seqBelow())
        var conditions = ["seq < $1"]
        if let status = query.status {
            binds.append(status.rawValue)
            conditions.append("status = $\(binds.count)")
        }
        if let queue = query.queue {
            binds.append(queue)
            conditions.append("queue = $\(binds.count)")
        }
        binds.append(Int64(query.rowsToRead))
        let select = PostgresTaskRow.select(
            "WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq DESC LIMIT $\(binds.count)",
            binds
        )
        let rows = try await read("list") { connection in try await Self.fetch(select, on: connection, logger: self.logger) }
        return TaskPage(rows: rows, limit: query.limit)
    }

    public func events(taskID: String, after seq: UInt64, limit: Int) async throws -> [TaskEventRecord] {
        let epoch = try migratedEpoch()
        let after = Int64(clamping: seq)
        let limit = Int64(max(0, limit))
        return try await read("events") { connection in
            let rows = try await connection.query(
                """
                SELECT seq, event_type, body, created_at FROM task_events \
                WHERE task_id = \(taskID) AND seq > \(after) ORDER BY seq LIMIT \(limit)
                """,
                logger: self.logger
            )
            var events: [TaskEventRecord] = []
            for try await (seq, type, body, created) in rows.decode((Int64, String, String, Int64).self) {
                events.append(
                    TaskEventRecord(
                        taskID: taskID,
                        seq: UInt64(seq),
                        epoch: epoch,
                        eventType: type,
                        body: body,
                        createdAt: Timestamp(nanosecondsSinceEpoch: created)
                    )
                )
            }
            return events
        }
    }

    public func counts() async throws -> QueueCounts {
        try await read("counts") { connection in
            let rows = try await connection.query("SELECT queue, status, count FROM queue_counts WHERE count > 0", logger: self.logger)
            var counts = QueueCounts()
            for try await (queue, status, count) in rows.decode((String, String, Int64).self) {
                counts.add(Int(count), queue: queue, status: status)
            }
            return counts
        }
    }

    /// Answers within ``PostgresStoreConfiguration/healthTimeout``, or throws `.unavailable`.
    public func checkHealth() async throws {
        let timeout = configuration.healthTimeout
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                _ = try await self.read("health") { connection in
                    try await connection.query("SELECT 1", logger: self.logger).collect()
                }
                return true
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let answered = try await group.next() ?? false
            group.cancelAll()
            guard answered else { throw TaskQueueError(.unavailable, "the task store did not answer in time") }
        }
    }

    // MARK: Plumbing

    /// Every task (and its `seq`) the query returns.
    static func fetch(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [(task: TaskRecord, seq: Int64)] {
        var tasks: [(task: TaskRecord, seq: Int64)] = []
        for try await row in try await connection.query(query, logger: logger) {
            tasks.append(try PostgresTaskRow.decode(row))
        }
        return tasks
    }

    /// Runs `body` on a pooled connection outside any write transaction, mapping database failures.
    func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await withConnection(body)
        } catch {
            throw storeError(error, operation: operation)
        }
    }

    /// Runs `body` on a pooled connection, waiting at most ``PostgresStoreConfiguration/acquireTimeout``
    /// for one: then it throws `.unavailable` (the wait is cancelled; `body` never ran).
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        await started.wait()
        let leased = LeaseFlag()
        let timeout = configuration.acquireTimeout
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await self.client.withConnection { connection in
                    leased.value.store(true, ordering: .releasing)
                    return try await body(connection)
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                guard leased.value.load(ordering: .acquiring) else {
                    throw TaskQueueError(.unavailable, "the task store could not be reached")
                }
                return nil
            }
            while let next = try await group.next() {
                guard let value = next else { continue }
                group.cancelAll()
                return value
            }
            preconditionFailure("the request ends with a value or an error")
        }
    }

    /// What callers see of a failure: ``TaskQueueError`` and cancellation stay as they are, any
    /// database or connection failure becomes ``TaskQueueError`` `.unavailable` (details go to
    /// the log, not to clients).
    func storeError(_ error: any Error, operation: String) -> any Error {
        if error is TaskQueueError || error is CancellationError { return error }
        var metadata: Logger.Metadata = ["tw.store.operation": "\(operation)", "tw.postgres.error": "\(error)"]
        if let psql = error as? PSQLError {
            metadata["tw.postgres.code"] = "\(psql.code)"
            if let state = psql.serverInfo?[.sqlState] { metadata["tw.postgres.sqlstate"] = "\(state)" }
            if let message = psql.serverInfo?[.message] { metadata["tw.postgres.message"] = "\(message)" }
        }
        logger.info("postgres task store operation failed", metadata: metadata)
        return TaskQueueError(.unavailable, "the task store could not complete the request")
    }

    /// The pool's configuration: TLS only when the URL asks for it, the schema as `search_path`.
    static func clientConfiguration(_ configuration: PostgresStoreConfiguration) -> PostgresClient.Configuration {
        let url = configuration.url
        var client = PostgresClient.Configuration(
            host: url.host,
            port: url.port,
            username: url.username,
            password: url.password,
            database: url.database,
            tls: url.requiresTLS ? .require(.makeClientConfiguration()) : .disable
        )
        client.options.maximumConnections = configuration.maximumConnections
        client.options.connectTimeout = configuration.connectTimeout
        client.options.additionalStartupParameters = configuration.startupParameters(applicationName: "taskwire")
        return client
    }
}

/// Set once a request got its connection: the acquire timeout no longer applies then.
private final class LeaseFlag: Sendable {
    let value = Atomic(false)
}
