import Testing
import TaskwirePostgres
import TaskwireQueue
import TaskwireStoreTesting

/// The shared store conformance suite, on PostgreSQL: each store a check makes in a schema of its own.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct PostgresStoreConformanceTests {
    @Test(arguments: TaskStoreConformance.Check.all)
    func conformance(_ check: TaskStoreConformance.Check) async throws {
        try await TestDatabase.withStores { stores in
            let suite = TaskStoreConformance(
                makeStore: { stores.makeStore() },
                reopen: { store in await stores.reopen(try #require(store as? PostgresTaskStore)) }
            )
            try await suite.run(check)
        }
    }
}
