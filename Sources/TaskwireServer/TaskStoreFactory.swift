import Logging
import TaskwireQueue
import TaskwireSQLite

/// Opens the task store that `configuration` names: a SQLite file.
///
/// A `postgres://` URL is reserved for the PostgreSQL store, which does not exist yet.
/// - Throws: ``TaskwireConfigurationError`` (key `store.database`) when the URL is PostgreSQL's
///   or the file cannot be opened.
func makeStore(_ configuration: TaskwireConfiguration.Store, logger: Logger) throws(TaskwireConfigurationError) -> any TaskStore {
    let key = TaskwireConfiguration.Key.storeDatabase.name
    guard !configuration.isPostgresURL else {
        throw TaskwireConfigurationError(
            key: key,
            message: "PostgreSQL (postgres://…) is not supported yet; give the path of a SQLite database file"
        )
    }
    do {
        return try SQLiteTaskStore(path: configuration.database, logger: logger)
    } catch {
        throw TaskwireConfigurationError(key: key, message: "cannot open SQLite database \"\(configuration.database)\": \(error)")
    }
}
