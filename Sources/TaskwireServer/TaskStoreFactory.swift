import Logging
import TaskwirePostgres
import TaskwireQueue
import TaskwireSQLite

/// Opens the task store that `configuration` names: a SQLite file, or a PostgreSQL database for a
/// `postgres://` URL (TLS off unless the URL says `?sslmode=require`).
///
/// A PostgreSQL store is also a `Service`: the application runs it (its connection pool) before
/// anything else, see ``makeApplication(configuration:logger:registry:readinessChecks:store:)``.
/// - Throws: ``TaskwireConfigurationError`` (key `store.database`) when the URL is malformed or
///   the file cannot be opened. The message never shows a password.
func makeStore(_ configuration: TaskwireConfiguration.Store, logger: Logger) throws(TaskwireConfigurationError) -> any TaskStore {
    let key = TaskwireConfiguration.Key.storeDatabase.name
    if configuration.isPostgresURL {
        guard let url = PostgresURL(configuration.database) else {
            throw TaskwireConfigurationError(
                key: key,
                message: "is not a valid PostgreSQL URL: give postgres://user:password@host:port/database (optionally ?sslmode=require&schema=name)"
            )
        }
        return PostgresTaskStore(configuration: PostgresStoreConfiguration(url: url, schema: url.schema), logger: logger)
    }
    do {
        return try SQLiteTaskStore(path: configuration.database, logger: logger)
    } catch {
        throw TaskwireConfigurationError(key: key, message: "cannot open SQLite database \"\(configuration.database)\": \(error)")
    }
}

extension TaskwireConfiguration.Store {
    /// ``database`` as logs may show it: a PostgreSQL URL without its password.
    var loggableDatabase: String {
        guard isPostgresURL else { return database }
        return PostgresURL(database)?.redacted ?? "postgres://(malformed)"
    }
}
