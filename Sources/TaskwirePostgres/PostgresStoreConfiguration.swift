/// How ``PostgresTaskStore`` reaches its database.
///
/// ```swift
/// var configuration = PostgresStoreConfiguration(url: PostgresURL("postgres://tw:secret@db:5432/taskwire")!)
/// configuration.maximumConnections = 16
/// let store = PostgresTaskStore(configuration: configuration, logger: logger)
/// ```
public struct PostgresStoreConfiguration: Sendable, Equatable {
    /// Where the database is, who to log in as, and whether TLS is required.
    public var url: PostgresURL
    /// The schema the store's tables live in (sent as `search_path` when connecting); nil for the
    /// server's default (`public`). Several stores can share a database in separate schemas.
    public var schema: String?
    /// Most connections the pool opens at once. Writes take one at a time per store; reads
    /// (task, list, events, counts) share the rest.
    public var maximumConnections: Int
    /// How long opening one connection may take.
    public var connectTimeout: Duration
    /// How long a request waits for a pooled connection (while the database cannot be reached,
    /// say) before it fails as unavailable. Once it has one, the request is not cut short.
    public var acquireTimeout: Duration
    /// How long ``PostgresTaskStore/checkHealth()`` waits for an answer before it reports the
    /// store unavailable.
    public var healthTimeout: Duration

    /// - Parameters:
    ///   - url: the database.
    ///   - schema: the schema of the tables; nil for the default.
    ///   - maximumConnections: pool size, at least 2.
    ///   - connectTimeout: time to open a connection.
    ///   - acquireTimeout: time to wait for a pooled connection.
    ///   - healthTimeout: time a health check may take.
    public init(
        url: PostgresURL,
        schema: String? = nil,
        maximumConnections: Int = 10,
        connectTimeout: Duration = .seconds(5),
        acquireTimeout: Duration = .seconds(5),
        healthTimeout: Duration = .seconds(2)
    ) {
        precondition(maximumConnections >= 2, "a store needs at least two connections: one writer, one reader")
        self.url = url
        self.schema = schema
        self.maximumConnections = maximumConnections
        self.connectTimeout = connectTimeout
        self.acquireTimeout = acquireTimeout
        self.healthTimeout = healthTimeout
    }

    /// What every connection of the store sends when it opens: its `application_name` (seen in
    /// `pg_stat_activity`) and the ``schema`` as `search_path`.
    func startupParameters(applicationName: String) -> [(String, String)] {
        [("application_name", applicationName)] + (schema.map { [("search_path", $0)] } ?? [])
    }
}
