import Testing
import TaskwireQueue
import TaskwireSQLite
import TaskwireStoreTesting

/// The shared store conformance suite, on SQLite files in a temporary directory.
@Suite struct SQLiteStoreConformanceTests {
    @Test(arguments: TaskStoreConformance.Check.all)
    func conformance(_ check: TaskStoreConformance.Check) async throws {
        try await TemporaryDirectory.with { directory in
            let suite = TaskStoreConformance(
                makeStore: { try SQLiteTaskStore(path: directory.newDatabasePath(), logger: testLogger) },
                reopen: { store in
                    let old = try #require(store as? SQLiteTaskStore)
                    try old.close()
                    return try SQLiteTaskStore(path: old.path, configuration: old.configuration, logger: testLogger)
                }
            )
            try await suite.run(check)
        }
    }
}
