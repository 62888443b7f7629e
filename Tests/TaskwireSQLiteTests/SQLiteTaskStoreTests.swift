import TaskwireTesting
import GRDB
import Synchronization
import Testing
import TaskwireHub
import TaskwireQueue
import TaskwireSQLite
import TaskwireStoreTesting

/// What the conformance suite cannot see: the file, the schema, the pragmas.
@Suite struct SQLiteTaskStoreTests {
    /// A second, read-only connection to a store's file, as another process would open it.
    func inspector(_ store: SQLiteTaskStore) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        return try DatabaseQueue(path: store.path, configuration: configuration)
    }

    @Test func migratingTwiceIsHarmlessAndKeepsTheData() async throws {
        try await TemporaryDirectory.with { directory in
            let store = try await SQLiteTaskStore.migrated(in: directory)
            var task = TaskStoreConformance.makeTask("kept")
            try await store.insert(task, onCommit: { _ in })
            task.eventSeq = 1  // its task_created event
            try await store.migrate()
            try await store.migrate()
            #expect(try await store.task(id: "kept") == task)

            try store.close()
            let reopened = try SQLiteTaskStore(path: store.path, logger: testLogger)
            try await reopened.migrate()
            #expect(try await reopened.task(id: "kept") == task)

            let applied = try await inspector(reopened).read { db in
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
            }
            #expect(applied == ["v1_tasks", "v2_task_events"])
            let objects = try await inspector(reopened).read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name")
            }
            #expect(objects == [
                "grdb_migrations", "queue_counts", "task_events", "tasks", "tasks_claim", "tasks_count_delete", "tasks_count_insert",
                "tasks_count_update", "tasks_queue_seq", "tasks_running_lease", "tasks_status_seq", "taskwire_meta",
            ])
        }
    }

    @Test func theFileIsInWALModeAndCommitsAreFullySyncedByDefault() async throws {
        try await TemporaryDirectory.with { directory in
            let store = try await SQLiteTaskStore.migrated(in: directory)
            #expect(try await inspector(store).read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
            #expect(try await store.writerPragma("journal_mode") == "wal")
            #expect(SQLiteStoreConfiguration().synchronous == .full)
            #expect(try await store.writerPragma("synchronous") == "2")
        }
    }

    @Test(arguments: [SQLiteStoreConfiguration.Synchronous.normal, .full, .extra])
    func theConfiguredSynchronousLevelIsTheWritersLevel(_ level: SQLiteStoreConfiguration.Synchronous) async throws {
        try await TemporaryDirectory.with { directory in
            let store = try await SQLiteTaskStore.migrated(in: directory, configuration: SQLiteStoreConfiguration(synchronous: level))
            #expect(try await store.writerPragma("synchronous") == String(level.pragmaNumber))
        }
    }

    @Test func reopeningKeepsEveryTaskAndCount() async throws {
        try await TemporaryDirectory.with { directory in
            let store = try await SQLiteTaskStore.migrated(in: directory)
            let tasks = TaskStatus.allCases.enumerated().map { i, status in
                var task = TaskStoreConformance.makeTask("r\(i)", queue: "q\(i % 2)", priority: i, status: status, offset: i)
                task.eventSeq = 1  // as stored: with its task_created event
                return task
            }
            for task in tasks { try await store.insert(task, onCommit: { _ in }) }
            let counts = try await store.counts()
            try store.close()

            let reopened = try SQLiteTaskStore(path: store.path, logger: testLogger)
            try await reopened.migrate()
            #expect(try await reopened.list(TaskListQuery()).tasks == tasks.reversed())
            #expect(try await reopened.counts() == counts)
            #expect(counts.all.total == tasks.count)
        }
    }

    @Test func theCountsTableStaysExactThroughEveryKindOfWrite() async throws {
        try await TemporaryDirectory.with { directory in
            let store = try await SQLiteTaskStore.migrated(in: directory, configuration: SQLiteStoreConfiguration(synchronous: .normal))
            var random = SeededGenerator(seed: 42)
            let queues = ["a", "b", "c", "d"]
            var next = 0
            for round in 0..<6 {
                for _ in 0..<40 {
                    next += 1
                    let queue = queues.randomElement(using: &random)!
                    let task = TaskStoreConformance.makeTask("c\(next)", queue: queue, priority: Int.random(in: 0..<3, using: &random), offset: next)
                    try await store.insert(task, onCommit: { _ in })
                }
                for _ in 0..<15 {
                    _ = try await store.claimNext(queue: queues.randomElement(using: &random)!, {
                        TaskTransitions.claim(&$0, workerID: "w", lease: .seconds(30), now: TaskStoreConformance.start)
                    }, onCommit: { _ in })
                }
                for _ in 0..<10 {
                    let id = "c\(Int.random(in: 1...next, using: &random))"
                    let status = TaskStatus.allCases.randomElement(using: &random)!
                    let queue = queues.randomElement(using: &random)!
                    do {
                        _ = try await store.update(id: id, { task in
                            task.status = status
                            if round.isMultiple(of: 2) { task.queue = queue }
                        }, onCommit: { _ in })
                    } catch let error as TaskQueueError where error.code == .notFound {
                        // Deleted from outside the store in an earlier round.
                    }
                }
                let expireAt = TaskStoreConformance.start + .seconds(round.isMultiple(of: 3) ? 3600 : 0)
                _ = try await store.expireLeases(now: expireAt, { TaskTransitions.expireLease(&$0, now: expireAt) }, onCommit: { _ in })
                // Writes from outside the store: triggers keep counting.
                try await DatabaseQueue(path: store.path).write { db in
                    try db.execute(sql: "DELETE FROM tasks WHERE seq IN (SELECT seq FROM tasks ORDER BY random() LIMIT 3)")
                    try db.execute(sql: "UPDATE tasks SET queue = 'moved' WHERE seq % 17 = ?", arguments: [round])
                    try db.execute(sql: "UPDATE tasks SET name = 'renamed' WHERE seq % 5 = 0")
                }
                let (table, truth) = try inspector(store).read { db in
                    (
                        try Row.fetchAll(db, sql: "SELECT queue, status, count FROM queue_counts WHERE count > 0 ORDER BY queue, status"),
                        try Row.fetchAll(db, sql: "SELECT queue, status, COUNT(*) AS count FROM tasks GROUP BY queue, status ORDER BY queue, status")
                    )
                }
                #expect(table == truth, "round \(round)")
                let all = try await store.list(TaskListQuery(limit: 500)).tasks
                var tally = QueueCounts()
                for task in all {
                    tally.all[task.status] += 1
                    tally.byQueue[task.queue, default: TaskCounts()][task.status] += 1
                }
                #expect(try await store.counts() == tally, "round \(round)")
            }
        }
    }

    @Test func commitReportsComeAfterTheCommitIsVisibleToOtherConnections() async throws {
        try await TemporaryDirectory.with { directory in
            let store = try await SQLiteTaskStore.migrated(in: directory)
            let other = try inspector(store)
            let seen = Mutex<[String?]>([])
            let observer: CommitObserver = { changes in
                let status = try? other.read { db in
                    try String.fetchOne(db, sql: "SELECT status FROM tasks WHERE id = ?", arguments: [changes[0].after.id])
                }
                seen.withLock { $0.append(status) }
            }
            try await store.insert(TaskStoreConformance.makeTask("v"), onCommit: observer)
            _ = try await store.update(id: "v", { try TaskTransitions.cancel(&$0, now: TaskStoreConformance.start) }, onCommit: observer)
            #expect(seen.withLock { $0 } == ["pending", "cancelled"])
        }
    }

    @Test func aClosedStoreIsUnavailable() async throws {
        try await TemporaryDirectory.with { directory in
            let store = try await SQLiteTaskStore.migrated(in: directory)
            try await store.checkHealth()
            try store.close()
            let health = await #expect(throws: TaskQueueError.self) { try await store.checkHealth() }
            #expect(health?.code == .unavailable)
            let insert = await #expect(throws: TaskQueueError.self) {
                try await store.insert(TaskStoreConformance.makeTask("x"), onCommit: { _ in Issue.record("a failed insert was reported") })
            }
            #expect(insert?.code == .unavailable)
        }
    }

    @Test func aMissingDirectoryFailsToOpen() {
        #expect(throws: (any Error).self) {
            _ = try SQLiteTaskStore(path: "/nonexistent-taskwire-dir/tasks.sqlite", logger: testLogger)
        }
    }
}
