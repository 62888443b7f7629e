public import Logging
import NIOCore
public import ServiceLifecycle
import Synchronization
public import TaskwireHub
import TaskwireProtocol

/// Makes a node's hub one of a cluster sharing a PostgreSQL database: every event published on
/// any node reaches the subscribers of every node, numbered once for all of them, and a client
/// recovers with `since` on any node.
///
/// - Publishing: the hub's ``Hub/relay`` is a ``PostgresEventRelay``, which appends what this
///   node publishes (custom events, notifications, queue status) to the event log. Task events
///   are appended by the ``PostgresTaskStore`` in the transaction of each change.
/// - Delivering: a ``PostgresBackplane`` follows the log and hands each event to the hub at its
///   position (``Hub/deliver(_:key:at:coalescingKey:onDelivered:)``).
/// - Recovering: the hub's ``Hub/archive`` is a ``PostgresClusterArchive``.
/// - Bounding: the log keeps, per stream, the `historySize` most recent events and none older
///   than `historyTTL` (the hub's `history_size` and `history_ttl`); every node trims it every
///   `trimInterval`. Task histories (`task_events`) are kept whole.
///
/// A `Service`: run it after the store (it uses the store's pool) and check ``checkReady()`` in
/// `/readyz`.
public final class PostgresCluster: Service {
    public let backplane: PostgresBackplane
    public let relay: PostgresEventRelay
    let log: PostgresStreamLog
    let historySize: Int
    let historyTTL: Duration
    let trimInterval: Duration
    let logger: Logger

    /// Joins `hub` to the cluster of `store`'s database: sets its relay and archive.
    /// - Parameters:
    ///   - store: the node's task store.
    ///   - hub: the node's hub.
    ///   - trimInterval: how often the log is trimmed.
    ///   - retryDelay: the pause before connecting again, or appending again, after a failure.
    ///   - logger: where the cluster logs.
    public init(store: PostgresTaskStore, hub: Hub, trimInterval: Duration = .seconds(30), retryDelay: Duration = .milliseconds(500), logger: Logger) {
        let following = FollowerBox()
        let relay = PostgresEventRelay(store: store, retryDelay: retryDelay, logger: logger) { following.backplane?.isReady ?? false }
        self.relay = relay
        self.backplane = PostgresBackplane(store: store, retryDelay: retryDelay, logger: logger) { event in
            hub.deliver(
                ByteBuffer(string: event.body),
                key: event.stream,
                at: StreamPosition(seq: event.seq, epoch: store.eventEpoch),
                coalescingKey: event.coalescingKey,
                onDelivered: relay.takeWaiter(event.id)
            )
        }
        following.backplane = backplane
        self.log = PostgresStreamLog(store: store)
        self.historySize = hub.configuration.historySize
        self.historyTTL = hub.configuration.historyTTL
        self.trimInterval = trimInterval
        self.logger = logger
        hub.relay = relay
        hub.archive = PostgresClusterArchive(store: store)
    }

    /// Returns once the backplane took its starting point in the log (after the store's
    /// migration): a node serves clients only from then on, so that none misses an event.
    /// - Throws: `CancellationError` when cancelled first.
    public func waitUntilFollowing() async throws {
        try await backplane.waitUntilFollowing()
    }

    /// Throws unless the backplane follows the log live: for `/readyz`.
    public func checkReady() throws {
        try backplane.checkReady()
    }

    /// Follows the log, appends this node's events and trims the log, until gracefully shut down.
    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.backplane.run() }
            group.addTask {
                // On graceful shutdown the relay still appends what is queued, once, then stops.
                await withGracefulShutdownHandler {
                    do {
                        try await self.backplane.waitUntilFollowing()
                    } catch {
                        return
                    }
                    await self.relay.run()
                } onGracefulShutdown: {
                    self.relay.finish()
                }
            }
            group.addTask {
                await cancelWhenGracefulShutdown { await self.trimPeriodically() }
            }
        }
    }

    private func trimPeriodically() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: trimInterval)
                let horizon = SystemHubClock().now().nanosecondsSinceEpoch - historyTTL.nanoseconds
                let removed = try await log.trim(before: Timestamp(nanosecondsSinceEpoch: horizon), keepingPerStream: max(1, historySize))
                if removed > 0 { logger.debug("event log trimmed", metadata: ["tw.count": "\(removed)"]) }
            } catch is CancellationError {
                return
            } catch {
                logger.info("trimming the event log failed", metadata: ["tw.postgres.error": "\(error)"])
            }
        }
    }
}

/// The backplane, for the relay's readiness check (the relay is made first).
private final class FollowerBox: Sendable {
    private let box = Mutex<PostgresBackplane?>(nil)

    var backplane: PostgresBackplane? {
        get { box.withLock { $0 } }
        set { box.withLock { $0 = newValue } }
    }
}
