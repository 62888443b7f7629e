import DequeModule
public import Logging
import NIOCore
import PostgresNIO
import Synchronization
public import TaskwireHub

/// Appends the events published on this node to the cluster's event log (``PostgresStreamLog``),
/// in the order they were published; the node's ``PostgresBackplane`` then delivers them to its
/// hub, as every other node's does. Set as the hub's ``Hub/relay`` by ``PostgresCluster``.
///
/// Publishing returns at once: events wait in a queue (bounded by `maximumPending`; past it an
/// event is refused, logged and counted, and its `onDelivered` gets 0) and one writer appends
/// them in batches of up to ``batchSize``, one transaction per batch. While the database cannot
/// be reached the batch is tried again every `retryDelay`, so nothing queued is lost; a commit
/// whose outcome is unknown (the connection dropped during `COMMIT`) is checked in the log
/// before the batch is tried again, so nothing is appended twice.
public final class PostgresEventRelay: EventRelay {
    struct Pending: Sendable {
        var entry: PostgresStreamLog.Entry
        var onDelivered: (@Sendable (Int) -> Void)?
    }

    /// Most events appended in one transaction.
    public static let batchSize = 500

    let store: PostgresTaskStore
    let maximumPending: Int
    let retryDelay: Duration
    let logger: Logger
    private let queue = Mutex(Deque<Pending>())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    /// Who waits for the local delivery of an appended event, by the event's id.
    private let waiters = Mutex<[Int64: @Sendable (Int) -> Void]>([:])
    private let refused = Atomic<Int>(0)
    private let finishing = Atomic(false)
    private let available = Atomic(true)

    /// - Parameters:
    ///   - store: the store whose database holds the log.
    ///   - maximumPending: most events waiting to be appended; more are refused.
    ///   - retryDelay: the pause before a failed batch is tried again.
    ///   - logger: where failures are logged.
    ///   - isFollowing: whether the node follows the log; publishers are refused while it does not.
    public init(
        store: PostgresTaskStore,
        maximumPending: Int = 100_000,
        retryDelay: Duration = .milliseconds(500),
        logger: Logger,
        isFollowing: @escaping @Sendable () -> Bool = { true }
    ) {
        self.isFollowing = isFollowing
        self.store = store
        self.maximumPending = maximumPending
        self.retryDelay = retryDelay
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Events waiting to be appended.
    public var pendingCount: Int { queue.withLock { $0.count } }

    /// Whether this node follows the log (set by ``PostgresCluster``): a node that lost the
    /// database's connection usually knows it there first.
    let isFollowing: @Sendable () -> Bool

    /// False from a failed append to the next one that succeeds, and while the node does not
    /// follow the log.
    public var isAvailable: Bool { available.load(ordering: .relaxed) && isFollowing() }

    /// Events refused because the queue was full.
    public var refusedCount: Int { refused.load(ordering: .relaxed) }

    public func relay(_ event: RelayedEvent, onDelivered: (@Sendable (Int) -> Void)?) {
        let pending = Pending(
            entry: PostgresStreamLog.Entry(
                stream: event.key,
                body: String(buffer: event.body),
                coalescingKey: event.coalescingKey,
                onlyIfChanged: event.onlyIfChanged
            ),
            onDelivered: onDelivered
        )
        let accepted = queue.withLock { queue in
            guard queue.count < maximumPending else { return false }
            queue.append(pending)
            return true
        }
        guard accepted else {
            let count = refused.add(1, ordering: .relaxed).newValue
            // Once per thousand, so that a flood does not flood the log too.
            if count % 1000 == 1 {
                logger.warning("event refused: too many events wait for the database", metadata: ["tw.stream": "\(event.key)", "tw.refused": "\(count)"])
            }
            onDelivered?(0)
            return
        }
        wake.yield()
    }

    /// Takes the waiter of the event `id`, if this node appended it: the backplane calls it with
    /// the number of connections reached.
    func takeWaiter(_ id: Int64) -> (@Sendable (Int) -> Void)? {
        waiters.withLock { $0.isEmpty ? nil : $0.removeValue(forKey: id) }
    }

    /// Appends what is queued until ``finish()`` (then what is still queued is tried once) or
    /// cancellation. Call once the backplane follows the log (events appended before it took its
    /// starting point would not be delivered on this node).
    func run() async {
        var failing = false
        for await _ in wakeups {
            while !Task.isCancelled {
                let batch = queue.withLock { Array($0.prefix(Self.batchSize)) }
                if batch.isEmpty { break }
                do {
                    let done = try await append(batch)
                    queue.withLock { $0.removeFirst(done) }
                    if failing {
                        failing = false
                        available.store(true, ordering: .relaxed)
                        logger.info("appending events again", metadata: ["tw.count": "\(pendingCount)"])
                    }
                } catch is CancellationError {
                    return
                } catch {
                    if finishing.load(ordering: .relaxed) {
                        logger.warning("events not appended at shutdown: the database cannot be reached", metadata: ["tw.count": "\(pendingCount)"])
                        return
                    }
                    // Once per outage, not once per retry.
                    if !failing {
                        failing = true
                        available.store(false, ordering: .relaxed)
                        logger.warning("appending events failed; trying again until the database answers", metadata: ["tw.postgres.error": "\(error)", "tw.count": "\(pendingCount)"])
                    }
                    try? await Task.sleep(for: retryDelay)
                }
            }
        }
    }

    /// Ends ``run()`` once what is queued now has been appended (or failed once).
    func finish() {
        finishing.store(true, ordering: .relaxed)
        wake.finish()
    }

    /// A batch whose `COMMIT` failed: its first event (in the log if the commit went through)
    /// and its size.
    private let uncertain = Mutex<(id: Int64, entry: PostgresStreamLog.Entry, count: Int)?>(nil)

    /// Appends `batch` (the first events of the queue) in one transaction, registering the
    /// waiters before the commit makes the events visible to the backplane.
    /// - Returns: how many of the queue's first events are now in the log.
    private func append(_ batch: [Pending]) async throws -> Int {
        try await store.withConnection { connection in
            if let previous = self.uncertain.withLock({ $0 }) {
                let rows = try await connection.query(
                    "SELECT 1 FROM stream_events WHERE id = \(previous.id) AND stream = \(previous.entry.stream) AND body = \(previous.entry.body)",
                    logger: self.logger
                ).collect()
                self.uncertain.withLock { $0 = nil }
                // Committed after all: those events are done (the queue may have grown since).
                if !rows.isEmpty { return previous.count }
                self.removeWaiters(from: previous.id, count: previous.count)
            }
            _ = try await connection.query("BEGIN", logger: self.logger).collect()
            let appended: [(id: Int64, seq: UInt64)?]
            do {
                appended = try await PostgresStreamLog.append(batch.map(\.entry), at: SystemHubClock().now(), on: connection, logger: self.logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: self.logger).collect()
                throw error
            }
            let delivered = zip(batch, appended).compactMap { pending, event in event.map { (id: $0.id, pending: pending) } }
            self.waiters.withLock { waiters in
                for (id, pending) in delivered {
                    if let onDelivered = pending.onDelivered { waiters[id] = onDelivered }
                }
            }
            do {
                _ = try await connection.query("COMMIT", logger: self.logger).collect()
            } catch {
                if let first = delivered.first { self.uncertain.withLock { $0 = (first.id, first.pending.entry, batch.count) } }
                throw error
            }
            // States dropped as unchanged reached nobody.
            for (pending, event) in zip(batch, appended) where event == nil { pending.onDelivered?(0) }
            return batch.count
        }
    }

    /// Drops the waiters of ids `id` to `id + count - 1` (a batch that was not committed).
    private func removeWaiters(from id: Int64, count: Int) {
        waiters.withLock { waiters in
            for i in id..<(id + Int64(count)) { waiters.removeValue(forKey: i) }
        }
    }
}
