import DequeModule
import NIOCore
import Synchronization
import TaskwireProtocol

/// One stream event on its way to a shard.
struct ShardDelivery {
    let key: String
    let seq: UInt64
    let message: OutboundMessage
    let counter: DeliveryCounter?
}

/// Adds up how many connections each shard reached, and reports the total once all have answered.
final class DeliveryCounter: Sendable {
    private let state: Mutex<(remaining: Int, total: Int)>
    private let completion: @Sendable (Int) -> Void

    init(shards: Int, completion: @escaping @Sendable (Int) -> Void) {
        self.state = Mutex((shards, 0))
        self.completion = completion
    }

    func add(_ reached: Int) {
        let total: Int? = state.withLock { state in
            state.total += reached
            state.remaining -= 1
            return state.remaining == 0 ? state.total : nil
        }
        if let total { completion(total) }
    }
}

/// The part of the hub that lives on one executor (one event loop): its connections, their
/// subscriptions, and the stream logs they read from.
///
/// Publishers on any thread hand events over through `post(_:)`, a short lock around an array;
/// everything else runs on the executor, with no lock and no `await` per subscriber.
final class HubShard: @unchecked Sendable {
    // @unchecked: `inbox` is a Mutex; every other var is touched only on `executor`.
    let index: Int
    let executor: any HubExecutor
    unowned let hub: Hub

    private struct Inbox {
        var deliveries: [ShardDelivery] = []
        var scheduled = false
    }
    private let inbox = Mutex(Inbox())
    /// Deliveries waiting in the inbox (read by publishers to sense congestion).
    let backlog = Atomic<Int>(0)

    var clients: [ObjectIdentifier: HubClient] = [:]
    var logs: [String: StreamLog] = [:]
    private var ready: [HubClient] = []
    private var pumpScheduled = false
    /// Superseded messages skipped in the current round (added to the metrics once per round).
    private var replacedInRound = 0

    /// Most bytes one connection is given per round before others get their turn.
    static let roundBudget = 64 * 1024

    init(index: Int, executor: any HubExecutor, hub: Hub) {
        self.index = index
        self.executor = executor
        self.hub = hub
    }

    // MARK: Inbox (any thread)

    func post(_ delivery: ShardDelivery) {
        backlog.add(1, ordering: .relaxed)
        let schedule = inbox.withLock { inbox in
            inbox.deliveries.append(delivery)
            guard !inbox.scheduled else { return false }
            inbox.scheduled = true
            return true
        }
        if schedule { executor.execute { self.drain() } }
    }

    // MARK: Fan-out (executor)

    private func drain() {
        takeInbox()
        pumpReady()
    }

    /// Appends the events posted since the last intake to their logs and schedules the
    /// subscribers they reach.
    private func takeInbox() {
        let batch = inbox.withLock { inbox in
            inbox.scheduled = false
            defer { inbox.deliveries.removeAll(keepingCapacity: true) }
            return inbox.deliveries
        }
        backlog.subtract(batch.count, ordering: .relaxed)
        let config = hub.configuration
        for delivery in batch {
            guard let log = logs[delivery.key] else {
                delivery.counter?.add(0)
                continue
            }
            let droppedBefore = log.lastEssentialDroppedSeq
            guard log.append(delivery.message, seq: delivery.seq, maxMessages: config.outboundQueueMessages, maxBytes: config.outboundQueueBytes) else {
                delivery.counter?.add(0)
                continue
            }
            if log.lastEssentialDroppedSeq != droppedBefore {
                // The log moved past connections that stopped reading: let them go now rather
                // than at their next write or the next heartbeat sweep.
                for sub in log.subscribersBehind { hub.closeSlowConsumer(sub.client) }
            }
            var reached = 0
            // A closing or failed connection is sent nothing more (see `pump`), so it is not counted as reached.
            for sub in log.subscribers where sub.cursor < delivery.seq {
                let client = sub.client  // one strong reference from the unowned one, not one per use
                guard client.state.receivesMessages else { continue }
                reached += 1
                if !sub.isPending && !sub.isHeld {
                    sub.isPending = true
                    client.pending.append(sub)
                    schedule(client)
                }
            }
            delivery.counter?.add(reached)
        }
    }

    /// Puts a client on the list to pump at the end of this round.
    func schedule(_ client: HubClient) {
        guard !client.isScheduled else { return }
        client.isScheduled = true
        ready.append(client)
    }

    /// Pumps every scheduled client once; those with more to send go round again after the
    /// event loop has done its I/O.
    func pumpReady() {
        var round: [HubClient] = []
        swap(&round, &ready)
        var sent = 0
        for (position, client) in round.enumerated() {
            // Events posted while a long round runs join it: a connection not reached yet
            // writes them with what it already had, in one syscall rather than one more each.
            if position & 63 == 63, backlog.load(ordering: .relaxed) > 0 { takeInbox() }
            client.isScheduled = false
            let (count, more) = pump(client)
            sent += count
            if more { schedule(client) }
        }
        hub.metrics.sent(sent)
        if replacedInRound > 0 {
            hub.metrics.replaced(replacedInRound)
            replacedInRound = 0
        }
        if !ready.isEmpty && !pumpScheduled {
            pumpScheduled = true
            executor.execute {
                self.pumpScheduled = false
                self.pumpReady()
            }
        }
    }

    /// Writes what one connection has waiting, as far as it can take it in one round.
    /// - Returns: messages written, and whether it still has more and can take it.
    private func pump(_ client: HubClient) -> (sent: Int, more: Bool) {
        guard client.state.receivesMessages else {
            client.direct.removeAll()
            return (0, false)
        }
        let transport = client.transport
        guard transport.isWritable else { return (0, false) }
        var budget = Self.roundBudget
        var sent = 0
        if !client.direct.isEmpty {
            while budget > 0, let message = client.direct.popFirst() {
                transport.write(message)
                budget -= message.frame.readableBytes
                sent += 1
            }
            // Most connections get a direct message now and then (the welcome, an ack): an
            // idle one keeps no buffer for them.
            if client.direct.isEmpty { client.direct = [] }
        }
        var index = 0
        while index < client.pending.count, budget > 0 {
            let sub = client.pending[index]
            if sub.isBehindLog {
                transport.flush()
                hub.closeSlowConsumer(client)
                return (sent, false)
            }
            let log = sub.log
            if sub.cursor &+ 1 < log.firstSeq {
                // Only superseded messages were dropped past the cursor (else it is behind).
                replacedInRound += Int(log.firstSeq &- 1 &- sub.cursor)
                sub.cursor = log.firstSeq &- 1
            }
            while sub.cursor < log.lastSeq, budget > 0 {
                sub.cursor += 1
                if log.isSuperseded(seq: sub.cursor) {
                    replacedInRound += 1
                    continue
                }
                let message = log.message(seq: sub.cursor)
                transport.write(message)
                budget -= message.frame.readableBytes
                sent += 1
            }
            if sub.cursor >= log.lastSeq {
                sub.isPending = false
                client.pending.swapAt(index, client.pending.count - 1)
                client.pending.removeLast()
            } else {
                index += 1
            }
        }
        if sent > 0 { transport.flush() }
        let more = !client.direct.isEmpty || !client.pending.isEmpty
        return (sent, more && transport.isWritable)
    }

    // MARK: Subscriptions (executor)

    /// Subscribes a client to the stream `name`, read from the log `key` (the same, except for
    /// streams scoped to the connection's user); the subscription sees events numbered after now.
    ///
    /// - Returns: nil when the client is already subscribed; else the new subscription, the
    ///   stream's position when it began (live events are those after it), and with `since` the
    ///   events after `since` to replay before live ones (nil when the hub's history cannot
    ///   recover them all).
    @discardableResult
    func addSubscription(
        _ client: HubClient,
        name: String,
        key: String,
        since: StreamPosition? = nil
    ) -> (subscription: Subscription, position: StreamPosition, replay: [OutboundMessage]?)? {
        guard client.subscriptions[name] == nil else { return nil }
        let now = hub.clock.now()
        let (position, replay) = hub.streams.attach(key, shard: index, since: since, now: now)
        let seq = position.seq
        let log: StreamLog
        if let existing = logs[key] {
            log = existing
        } else {
            log = StreamLog(key: key, nextSeq: seq + 1)
            logs[key] = log
        }
        let sub = Subscription(client: client, log: log, cursor: max(seq, log.lastSeq), listIndex: log.subscribers.count)
        log.subscribers.append(sub)
        client.subscriptions[name] = sub
        return (sub, position, replay)
    }

    /// Ends the hold of a subscription whose recovered events were read from the archive (or
    /// could not be): it skips what the replay covered, up to `coveredSeq`, and sends the rest.
    func release(_ sub: Subscription, coveredSeq: UInt64) {
        sub.isHeld = false
        // Unsubscribed (or disconnected) while the archive was read: nothing more to send.
        let log = sub.log
        guard log.subscribers.indices.contains(sub.listIndex), log.subscribers[sub.listIndex] === sub else { return }
        sub.cursor = max(sub.cursor, coveredSeq)
        if sub.hasUnsent && !sub.isPending {
            sub.isPending = true
            sub.client.pending.append(sub)
            schedule(sub.client)
        }
    }

    /// Removes a client's subscription to the stream `name`, if it has one.
    func removeSubscription(_ client: HubClient, name: String) {
        guard let sub = client.subscriptions.removeValue(forKey: name) else { return }
        let log = sub.log
        let key = log.key
        let last = log.subscribers.count - 1
        if sub.listIndex != last {
            let moved = log.subscribers[last]
            log.subscribers[sub.listIndex] = moved
            moved.listIndex = sub.listIndex
        }
        log.subscribers.removeLast()
        if sub.isPending, let i = client.pending.firstIndex(where: { $0 === sub }) {
            client.pending.remove(at: i)
            sub.isPending = false
        }
        if log.subscribers.isEmpty {
            logs.removeValue(forKey: key)
            hub.streams.detach(key, shard: index, now: hub.clock.now())
        }
    }

    /// Gives back memory of log entries every subscriber has been sent.
    func trimLogs() {
        for log in logs.values { log.trimConsumed() }
    }
}
