import PostgresNIO
import TaskwireHub
import TaskwirePostgres
import TaskwireQueue
import TaskwireStoreTesting
import Testing

/// What only a shared database shows: several nodes (stores) on one schema at once, and a
/// database that cannot be reached.
@Suite struct PostgresTaskStoreTests {
    /// Two nodes migrate at the same moment (the advisory lock lets one apply each migration,
    /// once), then claim from one queue with four workers each: every task is claimed by
    /// exactly one worker, and each node's reports arrive in its own commit order.
    @Test(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
    func twoNodesMigrateTogetherAndClaimEachTaskOnce() async throws {
        try await TestDatabase.withStores { stores in
            let nodeA = stores.makeStore()
            let nodeB = stores.makeStore(sharingSchemaWith: nodeA)
            async let migratedA: Void = nodeA.migrate()
            async let migratedB: Void = nodeB.migrate()
            _ = try await (migratedA, migratedB)
            #expect(nodeA.eventEpoch == nodeB.eventEpoch)
            let versions = try await stores.withAdminConnection { connection in
                let sql = "SELECT version FROM \(nodeA.configuration.schema!).taskwire_migrations ORDER BY version"
                let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: testLogger)
                var versions: [Int] = []
                for try await version in rows.decode(Int.self) { versions.append(version) }
                return versions
            }
            #expect(versions == [1, 2, 3, 4], "every migration applied once")

            let ids = (0..<300).map { "n\($0)" }
            for (i, id) in ids.enumerated() {
                let node = i.isMultiple(of: 2) ? nodeA : nodeB
                try await node.insert(TaskStoreConformance.makeTask(id, queue: "shared", priority: i % 3, offset: i), onCommit: { _ in })
            }
            let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
                for worker in 0..<8 {
                    let node = worker < 4 ? nodeA : nodeB
                    group.addTask {
                        var mine: [String] = []
                        while let task = try await node.claimNext(queue: "shared", { task in
                            TaskTransitions.claim(&task, workerID: "w\(worker)", lease: .seconds(30), now: TaskStoreConformance.start)
                        }, onCommit: { _ in }) {
                            mine.append(task.id)
                        }
                        return mine
                    }
                }
                var all: [String] = []
                for try await mine in group { all += mine }
                return all
            }
            #expect(claimed.count == ids.count)
            #expect(Set(claimed) == Set(ids))
            let counts = try await nodeB.counts()
            #expect(counts.byQueue["shared"] == { var c = TaskCounts(); c.running = ids.count; return c }())
        }
    }

    /// With no server behind the URL, reads, writes and the health check fail as `.unavailable`
    /// after the acquire and health timeouts instead of waiting for the pool's circuit breaker
    /// (60 s each); the bound of each leaves room for a machine busy with the rest of the suite.
    @Test func anUnreachableDatabaseIsUnavailable() async throws {
        let url = PostgresURL(username: "nobody", password: "secret", host: "127.0.0.1", port: 1, database: "none")
        let configuration = PostgresStoreConfiguration(url: url, acquireTimeout: .milliseconds(300), healthTimeout: .milliseconds(300))
        let store = PostgresTaskStore(configuration: configuration, logger: testLogger)
        let running = Task { await store.run() }
        defer { running.cancel() }
        let clock = ContinuousClock()
        for operation in [
            { _ = try await store.task(id: "x") },
            { try await store.checkHealth() },
            { try await store.migrate() },
        ] as [@Sendable () async throws -> Void] {
            let started = clock.now
            await #expect {
                try await operation()
            } throws: { error in
                (error as? TaskQueueError)?.code == .unavailable
            }
            // Each well before the 60 s circuit breaker, with room for a machine loaded by CI.
            #expect(clock.now - started < .seconds(45))
        }
    }
}
