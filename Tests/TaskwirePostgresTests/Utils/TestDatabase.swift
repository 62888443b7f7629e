#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import PostgresNIO
import Synchronization
import TaskwirePostgres
import Testing

/// The PostgreSQL server the tests use: `TASKWIRE_TEST_POSTGRES_URL`, e.g.
/// `postgres://taskwire:taskwire@127.0.0.1:5432/taskwire_test`. `.ci/run` always sets it; where
/// it is unset, the PostgreSQL suites are skipped (and say so).
enum TestDatabase {
    static let variable = "TASKWIRE_TEST_POSTGRES_URL"

    /// The URL from the environment; nil when unset. A set but malformed URL stops the tests.
    static let url: PostgresURL? = {
        guard let raw = getenv(variable) else { return nil }
        let text = String(cString: raw)
        guard let url = PostgresURL(text) else { fatalError("\(variable) is not a postgres:// URL") }
        return url
    }()

    static var isConfigured: Bool { url != nil }

    /// Why a suite did not run, for `.enabled(if:_:)`.
    static let skipMessage: Comment = "PostgreSQL tests skipped: \(variable) is not set (.ci/run sets it)"

    /// Runs `body` with a ``TestStores`` whose schemas are dropped afterwards, with everything in them.
    static func withStores<T>(_ body: (TestStores) async throws -> T) async throws -> T {
        let url = try #require(url, "\(variable) is not set")
        let stores = TestStores(url: url)
        do {
            let result = try await body(stores)
            try await stores.tearDown()
            return result
        } catch {
            try? await stores.tearDown()
            throw error
        }
    }
}

/// Stores on the test database, each made in a fresh schema, and running (their pools) until
/// ``close(_:)`` or ``tearDown()``.
final class TestStores: Sendable {
    let url: PostgresURL
    private let state = Mutex<(running: [ObjectIdentifier: Task<Void, Never>], schemas: [String])>(([:], []))

    init(url: PostgresURL) {
        self.url = url
    }

    /// A running store (not migrated) in a new, empty schema.
    func makeStore() -> PostgresTaskStore {
        let schema = "tw_test_" + String(UInt64.random(in: 1..<UInt64.max), radix: 36)
        state.withLock { $0.schemas.append(schema) }
        // The whole test suite runs at once on two cores: connections may take long to open.
        return start(PostgresStoreConfiguration(url: url, schema: schema, maximumConnections: 4, acquireTimeout: .seconds(60)))
    }

    /// Closes `store` and starts a new one on its schema, as a restart would.
    func reopen(_ store: PostgresTaskStore) async -> PostgresTaskStore {
        await close(store)
        return start(store.configuration)
    }

    /// Another running store on `store`'s schema: a second node on the same database.
    func makeStore(sharingSchemaWith store: PostgresTaskStore) -> PostgresTaskStore {
        start(store.configuration)
    }

    /// A running store with `configuration` (whose schema, if any, is not dropped afterwards).
    func start(_ configuration: PostgresStoreConfiguration) -> PostgresTaskStore {
        let store = PostgresTaskStore(configuration: configuration, logger: testLogger)
        let task = Task { await store.run() }
        state.withLock { $0.running[ObjectIdentifier(store)] = task }
        return store
    }

    /// Stops `store`'s pool and waits until it closed its connections.
    func close(_ store: PostgresTaskStore) async {
        let task = state.withLock { $0.running.removeValue(forKey: ObjectIdentifier(store)) }
        task?.cancel()
        await task?.value
    }

    /// Stops every store and drops every schema.
    func tearDown() async throws {
        let (tasks, schemas) = state.withLock { state in
            defer { state = ([:], []) }
            return (Array(state.running.values), state.schemas)
        }
        for task in tasks {
            task.cancel()
            await task.value
        }
        try await withAdminConnection { connection in
            for schema in schemas {
                _ = try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(schema) CASCADE"), logger: testLogger).collect()
            }
        }
    }

    /// Runs `body` on a connection of its own to the test database.
    func withAdminConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await PostgresConnection.connect(
            configuration: .init(host: url.host, port: url.port, username: url.username, password: url.password, database: url.database, tls: .disable),
            id: 1,
            logger: testLogger
        )
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}

/// Logs warnings and worse only.
let testLogger: Logger = {
    var logger = Logger(label: "taskwire.postgres.tests")
    logger.logLevel = .warning
    return logger
}()
