import Foundation
import Logging
import TaskwireQueue
import TaskwireSQLite

/// A fresh directory under the system's temporary folder, removed by ``remove()``.
struct TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("taskwire-sqlite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = url.path
    }

    /// A new database file name inside the directory (the file itself is not created).
    func newDatabasePath() -> String {
        path + "/tasks-\(UUID().uuidString).sqlite"
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Runs `body` with a new directory, then removes it.
    static func with<T>(_ body: (TemporaryDirectory) async throws -> T) async throws -> T {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        return try await body(directory)
    }
}

extension SQLiteTaskStore {
    /// A store on a new file in `directory`, migrated.
    static func migrated(
        in directory: TemporaryDirectory,
        configuration: SQLiteStoreConfiguration = .init()
    ) async throws -> SQLiteTaskStore {
        let store = try SQLiteTaskStore(path: directory.newDatabasePath(), configuration: configuration, logger: testLogger)
        try await store.migrate()
        return store
    }
}

let testLogger = Logger(label: "taskwire.sqlite.test")
