import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import TaskwireHTTP
import TaskwireHub
import TaskwireProtocol
import TaskwireQueue
import TaskwireServer
import TaskwireTesting
import Testing

/// The task queue as `buildApplication` wires it: the store from the configuration, migrations
/// before the server starts, the readiness check, the lease reaper.
@Suite struct ApplicationTaskTests {
    /// A SQLite database path in the temporary directory; its files are removed by `cleanUp`.
    struct TemporaryDatabase {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("taskwire-\(UUID().uuidString).db").path

        func cleanUp() {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
    }

    func configuration(database: String) -> TaskwireConfiguration {
        var config = TaskwireConfiguration.standard
        config.http.port = 0
        config.logLevel = .warning
        config.store.database = database
        return config
    }

    @Test func theConfiguredSQLiteStoreIsMigratedAndServesTheTaskAPI() async throws {
        let database = TemporaryDatabase()
        defer { database.cleanUp() }
        let app = try buildApplication(configuration: configuration(database: database.path), logger: Logger(label: "taskwire.test"))
        try await app.test(.router) { client in
            let task = try await client.createTask(#"{"name":"durable","payload":{"n":1}}"#)
            let read = try await client.get("/api/v1/tasks/\(task.id)")
            #expect(read.json["payload"]?["n"] == .number("1"))
            #expect(try await client.claim().id == task.id)
            #expect(try await client.get("/readyz").status == .ok)
            #expect(try await client.get("/api/v1/queue/status").json.int("running_tasks") == 1)
        }
        #expect(FileManager.default.fileExists(atPath: database.path))
        // A second application on the same file sees the task (and migrating again is harmless).
        let again = try buildApplication(configuration: configuration(database: database.path), logger: Logger(label: "taskwire.test"))
        try await again.test(.router) { client in
            let status = try await client.get("/api/v1/queue/status")
            #expect(status.json.int("total_tasks") == 1)
        }
    }

    @Test func readinessChecksTheStore() async throws {
        let app = try buildApplication(
            configuration: configuration(database: "unused.db"),
            logger: Logger(label: "taskwire.test"),
            store: UnreachableTaskStore(migrates: true)
        )
        try await app.test(.router) { client in
            expectError(try await client.get("/readyz"), .serviceUnavailable, code: "unavailable", mentions: "check \"store\" failed")
            #expect(try await client.get("/healthz").status == .ok)
        }
    }

    @Test func aFailingMigrationStopsTheStart() async throws {
        let app = try buildApplication(
            configuration: configuration(database: "unused.db"),
            logger: Logger(label: "taskwire.test"),
            store: UnreachableTaskStore()
        )
        await #expect(throws: TaskQueueError.self) {
            try await app.test(.router) { _ in }
        }
    }

    @Test(arguments: ["postgresql://db/taskwire", "POSTGRES://db", "postgres://user:s3cret@db:99999/taskwire"])
    func malformedPostgresURLsAreRefusedClearly(url: String) async throws {
        #expect {
            _ = try buildApplication(configuration: configuration(database: url), logger: Logger(label: "taskwire.test"))
        } throws: { error in
            let error = error as? TaskwireConfigurationError
            return error?.key == "store.database" && error?.message.contains("not a valid PostgreSQL URL") == true
                && error?.message.contains("s3cret") == false
        }
        await #expect(throws: TaskwireConfigurationError.self) {
            _ = try await TaskwireConfiguration.load(flags: ["store.database": url], environment: [:])
        }
    }

    @Test func aPostgresURLIsAcceptedAndNeverShowsItsPassword() async throws {
        let url = "postgres://tw:s3cret@127.0.0.1:5432/taskwire"
        let config = try await TaskwireConfiguration.load(flags: ["store.database": url], environment: [:])
        #expect(config.store.isPostgresURL)
        let metadata = "\(config.startupMetadata)"
        #expect(metadata.contains("postgres://tw:***@127.0.0.1:5432/taskwire"))
        #expect(!metadata.contains("s3cret"))
    }

    /// The whole application on the test database (`TASKWIRE_TEST_POSTGRES_URL`, set by `.ci/run`),
    /// in its default schema, which other runs share: the test works in a queue of its own.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TASKWIRE_TEST_POSTGRES_URL"] != nil, "TASKWIRE_TEST_POSTGRES_URL is not set"))
    func theConfiguredPostgresStoreIsMigratedAndServesTheTaskAPI() async throws {
        let url = try #require(ProcessInfo.processInfo.environment["TASKWIRE_TEST_POSTGRES_URL"])
        let queue = "app-\(UUID().uuidString.prefix(8))"
        let app = try buildApplication(configuration: configuration(database: url), logger: Logger(label: "taskwire.test"))
        try await app.test(.router) { client in
            let task = try await client.createTask(#"{"name":"shared","queue":"\#(queue)","payload":{"n":1}}"#)
            let read = try await client.get("/api/v1/tasks/\(task.id)")
            #expect(read.json["payload"]?["n"] == .number("1"))
            #expect(try await client.claim(queue: queue).id == task.id)
            #expect(try await client.get("/readyz").status == .ok)
            let status = try await client.get("/api/v1/queue/status")
            #expect(status.json["queues"]?[queue]?.int("running_tasks") == 1)
        }
        // A second application on the same database sees the task (and migrating again is harmless).
        let again = try buildApplication(configuration: configuration(database: url), logger: Logger(label: "taskwire.test"))
        try await again.test(.router) { client in
            let status = try await client.get("/api/v1/queue/status")
            #expect(status.json["queues"]?[queue]?.int("total_tasks") == 1)
        }
    }

    @Test func aDatabaseThatCannotBeOpenedIsAConfigurationError() throws {
        #expect {
            _ = try buildApplication(
                configuration: configuration(database: "/nonexistent-dir-\(UUID().uuidString)/tasks.db"),
                logger: Logger(label: "taskwire.test")
            )
        } throws: { error in
            (error as? TaskwireConfigurationError)?.key == "store.database"
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func theLeaseReaperRequeuesAnExpiredTask() async throws {
        let database = TemporaryDatabase()
        defer { database.cleanUp() }
        var config = configuration(database: database.path)
        config.queue.leaseCheckInterval = .milliseconds(50)
        let app = try buildApplication(configuration: config, logger: Logger(label: "taskwire.test"))
        try await app.test(.live) { client in
            let id = try await client.createTask().id
            _ = try await client.claim(worker: "w", leaseSeconds: 1)
            // The real clock: the lease runs out after a second, the reaper acts within 50 ms.
            var status: String?
            for _ in 0..<60 {
                try await Task.sleep(for: .milliseconds(50))
                status = try await client.get("/api/v1/tasks/\(id)").json.string("status")
                if status == "pending" { break }
            }
            #expect(status == "pending")
            #expect(try await client.get("/api/v1/tasks/\(id)").json.string("message") == "lease expired")
        }
    }
}
