import Logging
import PostgresNIO

/// Applies ``PostgresMigrations`` to a database, safely from several nodes at once.
///
/// On one connection: take a session advisory lock (per schema), so that nodes starting together
/// migrate one after the other; create the schema and `taskwire_migrations` if needed; apply each
/// migration not yet recorded in its own transaction, recording it in the same transaction; let
/// go of the lock. A node that waited finds everything applied and does nothing. If the node dies
/// midway, PostgreSQL releases the lock with the connection and rolls back the open migration.
struct PostgresMigrator {
    /// First key of the advisory lock: "taskwire" in ASCII, truncated to 32 bits.
    static let lockKey: Int32 = 0x7461_736B
    var schema: String?
    var logger: Logger

    /// Applies what is missing.
    /// - Returns: the versions applied by this call.
    func migrate(on connection: PostgresConnection) async throws -> [Int] {
        let lockName = schema ?? ""
        _ = try await connection.query("SELECT pg_advisory_lock(\(Self.lockKey), hashtext(\(lockName)))", logger: logger).collect()
        do {
            let applied = try await applyMissing(on: connection)
            _ = try await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey), hashtext(\(lockName)))", logger: logger).collect()
            return applied
        } catch {
            // The connection goes back to the pool: it must not keep the lock.
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.lockKey), hashtext(\(lockName)))", logger: logger).collect()
            throw error
        }
    }

    private func applyMissing(on connection: PostgresConnection) async throws -> [Int] {
        if let schema {
            try await execute("CREATE SCHEMA IF NOT EXISTS \(Self.quoted(schema))", on: connection)
        }
        try await execute(
            """
            CREATE TABLE IF NOT EXISTS taskwire_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            on: connection
        )
        var done = Set<Int>()
        for try await version in try await connection.query("SELECT version FROM taskwire_migrations", logger: logger).decode(Int.self) {
            done.insert(version)
        }
        var applied: [Int] = []
        for migration in PostgresMigrations.all where !done.contains(migration.version) {
            try await execute("BEGIN", on: connection)
            do {
                for statement in migration.statements {
                    try await execute(statement, on: connection)
                }
                try await connection.query(
                    "INSERT INTO taskwire_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: logger
                ).collect()
                try await execute("COMMIT", on: connection)
            } catch {
                try? await execute("ROLLBACK", on: connection)
                throw error
            }
            applied.append(migration.version)
            logger.debug("postgres migration applied", metadata: ["tw.postgres.migration": "\(migration.version)_\(migration.name)"])
        }
        return applied
    }

    private func execute(_ sql: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
    }

    /// `name` as a quoted SQL identifier.
    static func quoted(_ name: String) -> String {
        "\"" + name.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}
