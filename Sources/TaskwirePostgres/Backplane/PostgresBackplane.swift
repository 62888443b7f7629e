public import Logging
import NIOCore
import NIOSSL
import PostgresNIO
public import ServiceLifecycle
import Synchronization
public import TaskwireHub
public import TaskwireProtocol

/// Follows the cluster's event log (``PostgresStreamLog``) and hands every event, once and in
/// log order, to `deliver` (on a node: `hub.publish(_:to:at:)` with the event's position).
///
/// A `Service`. It listens on ``PostgresStreamLog/channel`` on a connection of its own (not a
/// pooled one) and, on every notification, reads the events after the last id it delivered;
/// ids are gapless and committed in order, so nothing is skipped and nothing comes twice. It
/// starts, once the store is migrated, after the log's last event at that time: what came before
/// is history, for the archive. When the connection drops it is not ready (see ``checkReady()``) until it has
/// connected again, listened again and read everything it missed.
public final class PostgresBackplane: Service {
    /// Receives one event of the log.
    public typealias Deliver = @Sendable (PostgresStreamLog.Event) -> Void

    let log: PostgresStreamLog
    let deliver: Deliver
    let retryDelay: Duration
    let logger: Logger
    private let ready = Atomic(false)
    private let lastDelivered = Atomic<Int64>(-1)

    /// - Parameters:
    ///   - store: the store whose database holds the log (its pool serves the reads).
    ///   - retryDelay: the pause before connecting again after a failure.
    ///   - logger: where failures and reconnections are logged.
    ///   - deliver: called with each event, one at a time, in log order.
    public init(store: PostgresTaskStore, retryDelay: Duration = .milliseconds(500), logger: Logger, deliver: @escaping Deliver) {
        self.log = PostgresStreamLog(store: store)
        self.deliver = deliver
        self.retryDelay = retryDelay
        self.logger = logger
    }

    /// The log of the cluster, to publish on.
    public var streamLog: PostgresStreamLog { log }

    /// Whether the backplane follows the log live: connected, listening, caught up.
    public var isReady: Bool { ready.load(ordering: .acquiring) }

    /// The id of the last event delivered (-1 before it started following).
    public var lastDeliveredID: Int64 { lastDelivered.load(ordering: .acquiring) }

    /// Returns once the backplane took its starting point in the log: every event appended
    /// from then on will be delivered.
    /// - Throws: `CancellationError` when cancelled first.
    public func waitUntilFollowing() async throws {
        while lastDeliveredID < 0 { try await Task.sleep(for: .milliseconds(20)) }
    }

    /// Throws unless ``isReady``: for `/readyz`.
    public func checkReady() throws {
        guard isReady else { throw PostgresBackplaneNotReady() }
    }

    /// Follows the log until cancelled or gracefully shut down, reconnecting after failures.
    public func run() async {
        await cancelWhenGracefulShutdown {
            await self.follow()
        }
    }

    private func follow() async {
        // The log exists once the store is migrated (by the application, before it serves).
        while log.store.eventEpoch.isEmpty {
            guard (try? await Task.sleep(for: .milliseconds(20))) != nil else { return }
        }
        while !Task.isCancelled {
            do {
                if lastDeliveredID < 0 {
                    lastDelivered.store(try await log.lastID(), ordering: .releasing)
                }
                try await listenAndDeliver()
            } catch is CancellationError {
                break
            } catch {
                if isReady { logger.info("backplane lost its connection", metadata: ["tw.postgres.error": "\(error)"]) }
            }
            ready.store(false, ordering: .releasing)
            try? await Task.sleep(for: retryDelay)
        }
        ready.store(false, ordering: .releasing)
    }

    /// One connection's life: listen, catch up, then read on every notification.
    private func listenAndDeliver() async throws {
        let connection = try await PostgresConnection.connect(
            configuration: try Self.connectionConfiguration(log.store.configuration),
            id: 0,
            logger: logger
        )
        do {
            try await connection.listen(on: PostgresStreamLog.channel) { notifications in
                try await catchUp()
                ready.store(true, ordering: .releasing)
                logger.debug("backplane following the event log", metadata: ["tw.postgres.last_id": "\(lastDeliveredID)"])
                for try await _ in notifications {
                    try await catchUp()
                }
            }
            try? await connection.close()
            throw PostgresBackplaneNotReady()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Delivers every event after the last one delivered.
    private func catchUp() async throws {
        while true {
            let last = lastDeliveredID
            let events = try await log.events(after: last, limit: 500)
            if let first = events.first, first.id != last + 1 {
                logger.warning(
                    "backplane missed events trimmed from the log while it was away; their streams continue after a gap",
                    metadata: ["tw.postgres.last_id": "\(last)", "tw.postgres.next_id": "\(first.id)"]
                )
            }
            for event in events {
                deliver(event)
                lastDelivered.store(event.id, ordering: .releasing)
            }
            if events.count < 500 { return }
        }
    }

    /// A connection like the pool's: same server, credentials, TLS and schema.
    static func connectionConfiguration(_ configuration: PostgresStoreConfiguration) throws -> PostgresConnection.Configuration {
        let url = configuration.url
        var connection = PostgresConnection.Configuration(
            host: url.host,
            port: url.port,
            username: url.username,
            password: url.password,
            database: url.database,
            tls: url.requiresTLS ? .require(try NIOSSLContext(configuration: .makeClientConfiguration())) : .disable
        )
        connection.options.connectTimeout = .nanoseconds(configuration.connectTimeout.nanoseconds)
        connection.options.additionalStartupParameters = configuration.startupParameters(applicationName: "taskwire-backplane")
        return connection
    }
}

/// The backplane is not following the event log (starting, or reconnecting).
public struct PostgresBackplaneNotReady: Error, CustomStringConvertible {
    public var description: String { "the backplane is not connected to the event log" }
}
