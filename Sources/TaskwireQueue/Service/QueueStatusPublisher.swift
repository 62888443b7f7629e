public import NIOCore
public import Logging
public import ServiceLifecycle
import Synchronization
import TaskwireHub
import TaskwireProtocol

/// Publishes `queue_status` on `queue_status_changed` after task changes, at most once per
/// `interval` however fast tasks move, and only when the counts changed (since the last
/// publication on the stream, by this node or, in a cluster, by any node).
public final class QueueStatusPublisher: Service {
    let store: any TaskStore
    let hub: Hub
    let interval: Duration
    private let dirty = Atomic<Bool>(true)

    init(store: any TaskStore, hub: Hub, interval: Duration) {
        self.store = store
        self.hub = hub
        self.interval = interval
    }

    /// Notes that counts may have changed.
    public func markDirty() {
        dirty.store(true, ordering: .relaxed)
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: self.interval)
                try? await self.publishIfChanged()
            }
        }
    }

    /// Reads the counts and publishes them if they changed since the last publication.
    public func publishIfChanged() async throws {
        guard dirty.exchange(false, ordering: .relaxed) else { return }
        let counts: QueueCounts
        do {
            counts = try await store.counts()
        } catch {
            // Keep the change pending, so the next round publishes it once the store answers.
            markDirty()
            throw error
        }
        // A state: the hub (or, in a cluster, the shared log) drops it when unchanged.
        hub.publishState(Self.body(counts), to: .queueStatusChanged)
    }

    /// The `queue_status` message for these counts, with per-queue counts in `queues` (an extension).
    public static func body(_ counts: QueueCounts) -> ByteBuffer {
        ServerMessage.queueStatusBody(
            total: counts.all.total,
            pending: counts.all.pending,
            running: counts.all.running,
            completed: counts.all.completed,
            failed: counts.all.failed,
            cancelled: counts.all.cancelled
        ) { b in
            b.writeStaticString(#","queues":{"#)
            for (i, name) in counts.byQueue.keys.sorted().enumerated() {
                if i > 0 { b.writeStaticString(",") }
                b.writeJSONString(name)
                b.writeStaticString(":")
                writeCounts(counts.byQueue[name]!, into: &b)
            }
            b.writeStaticString("}")
        }
    }

    /// Writes counts as `{"total_tasks":…,"pending_tasks":…,…}`.
    public static func writeCounts(_ c: TaskCounts, into b: inout ByteBuffer) {
        b.writeStaticString("{")
        ServerMessage.writeTaskCountFields(
            total: c.total, pending: c.pending, running: c.running, completed: c.completed, failed: c.failed, cancelled: c.cancelled,
            into: &b
        )
        b.writeStaticString("}")
    }
}

/// Acts on expired leases every `lease_check_interval`: the task is pending again, or failed
/// once its attempts are used up.
public struct LeaseReaper: Service {
    let service: TaskService
    let logger: Logger

    public init(service: TaskService, logger: Logger) {
        self.service = service
        self.logger = logger
    }

    public func run() async throws {
        let interval = service.configuration.leaseCheckInterval
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                do {
                    let expired = try await service.expireLeases()
                    if !expired.isEmpty { logger.debug("leases expired", metadata: ["tw.count": "\(expired.count)"]) }
                } catch {
                    logger.warning("lease check failed", metadata: ["error.type": "\(String(reflecting: type(of: error)))"])
                }
            }
        }
    }
}
