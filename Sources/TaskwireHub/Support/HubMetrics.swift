import CoreMetrics
import Synchronization

/// The hub's counters: the seed's `WebSocketMetrics`, kept as atomics for the JSON API and
/// mirrored to swift-metrics (Prometheus names) for `/metrics`.
///
/// Hot-path counters are added once per fan-out batch, not once per delivery.
public final class HubMetrics: Sendable {
    let totalConnections = Atomic<Int>(0)
    let activeConnections = Atomic<Int>(0)
    let messagesSent = Atomic<Int>(0)
    let messagesReceived = Atomic<Int>(0)
    let connectionErrors = Atomic<Int>(0)
    let pingTimeouts = Atomic<Int>(0)
    let slowConsumerCloses = Atomic<Int>(0)
    let closedConnections = Atomic<Int>(0)
    let closedDurationNanos = Atomic<Int64>(0)
    let rateLimitedMessages = Atomic<Int>(0)
    let replacedUpdates = Atomic<Int>(0)
    let recoveriesOK = Atomic<Int>(0)
    let recoveriesMissed = Atomic<Int>(0)

    private let throughput: Mutex<ThroughputWindow>

    private let connectionsGauge: Gauge
    private let connectionsCounter: Counter
    private let sentCounter: Counter
    private let receivedCounter: Counter
    private let errorsCounter: Counter
    private let pingTimeoutCounter: Counter
    private let slowConsumerCounter: Counter
    private let publishedCounter: Counter
    private let durationRecorder: Timer
    private let rateLimitedCounter: Counter
    private let credentialsExpiredCounter: Counter
    private let replacedCounter: Counter
    private let recoveredOKCounter: Counter
    private let recoveredMissedCounter: Counter

    init(now: Timestamp, factory: any MetricsFactory = MetricsSystem.factory) {
        self.throughput = Mutex(ThroughputWindow(start: now, sent: 0))
        self.connectionsGauge = Gauge(label: "taskwire_ws_connections", factory: factory)
        self.connectionsCounter = Counter(label: "taskwire_ws_connections_total", factory: factory)
        self.sentCounter = Counter(label: "taskwire_messages_sent_total", factory: factory)
        self.receivedCounter = Counter(label: "taskwire_messages_received_total", factory: factory)
        self.errorsCounter = Counter(label: "taskwire_connection_errors_total", factory: factory)
        self.pingTimeoutCounter = Counter(label: "taskwire_ping_timeouts_total", factory: factory)
        self.slowConsumerCounter = Counter(label: "taskwire_slow_consumer_disconnects_total", factory: factory)
        self.publishedCounter = Counter(label: "taskwire_events_published_total", factory: factory)
        self.rateLimitedCounter = Counter(label: "taskwire_rate_limited_messages_total", factory: factory)
        self.credentialsExpiredCounter = Counter(label: "taskwire_credentials_expired_total", factory: factory)
        self.replacedCounter = Counter(label: "taskwire_replaced_updates_total", factory: factory)
        self.recoveredOKCounter = Counter(label: "taskwire_recoveries_total", dimensions: [("result", "ok")], factory: factory)
        self.recoveredMissedCounter = Counter(label: "taskwire_recoveries_total", dimensions: [("result", "missed")], factory: factory)
        self.durationRecorder = Timer(label: "taskwire_ws_connection_duration_seconds", dimensions: [], factory: factory)
    }

    func connectionOpened() {
        totalConnections.add(1, ordering: .relaxed)
        let active = activeConnections.add(1, ordering: .relaxed).newValue
        connectionsCounter.increment()
        connectionsGauge.record(active)
    }

    func connectionClosed(duration: Duration) {
        let active = activeConnections.subtract(1, ordering: .relaxed).newValue
        closedConnections.add(1, ordering: .relaxed)
        closedDurationNanos.add(duration.nanoseconds, ordering: .relaxed)
        connectionsGauge.record(active)
        durationRecorder.recordNanoseconds(duration.nanoseconds)
    }

    func sent(_ count: Int) {
        guard count > 0 else { return }
        messagesSent.add(count, ordering: .relaxed)
        sentCounter.increment(by: count)
    }

    func received(_ count: Int = 1) {
        messagesReceived.add(count, ordering: .relaxed)
        receivedCounter.increment(by: count)
    }

    /// A connection attempt that failed before it was registered (refused at the limit, a
    /// broken handshake): it counts in `total_connections` and in `connection_errors`, so that
    /// the success rate is the share of attempts that succeeded.
    func connectionAttemptFailed() {
        totalConnections.add(1, ordering: .relaxed)
        connectionsCounter.increment()
        connectionError()
    }

    func connectionError() {
        connectionErrors.add(1, ordering: .relaxed)
        errorsCounter.increment()
    }

    func pingTimeout() {
        pingTimeouts.add(1, ordering: .relaxed)
        pingTimeoutCounter.increment()
    }

    func slowConsumerClosed() {
        slowConsumerCloses.add(1, ordering: .relaxed)
        slowConsumerCounter.increment()
    }

    /// A connection closed with 4001 because its credentials expired.
    func credentialsExpired() {
        credentialsExpiredCounter.increment()
    }

    func rateLimited() {
        rateLimitedMessages.add(1, ordering: .relaxed)
        rateLimitedCounter.increment()
    }

    /// Replaceable updates skipped because a newer one superseded them (added once per round).
    func replaced(_ count: Int) {
        replacedUpdates.add(count, ordering: .relaxed)
        replacedCounter.increment(by: count)
    }

    /// One stream named in a `subscribe` with `since`: recovered (`ok`) or not (`missed`).
    func recovery(ok: Bool) {
        if ok {
            recoveriesOK.add(1, ordering: .relaxed)
            recoveredOKCounter.increment()
        } else {
            recoveriesMissed.add(1, ordering: .relaxed)
            recoveredMissedCounter.increment()
        }
    }

    func published() {
        publishedCounter.increment()
    }

    /// Records the current count of sent messages for the one-minute throughput window.
    func sample(now: Timestamp) {
        let sent = messagesSent.load(ordering: .relaxed)
        throughput.withLock { $0.record(now: now, sent: sent) }
    }

    /// The seed's metrics and its calculated metrics, read now.
    func snapshot(now: Timestamp) -> HubMetricsSnapshot {
        let total = totalConnections.load(ordering: .relaxed)
        let errors = connectionErrors.load(ordering: .relaxed)
        let closed = closedConnections.load(ordering: .relaxed)
        let closedNanos = closedDurationNanos.load(ordering: .relaxed)
        let sent = messagesSent.load(ordering: .relaxed)
        let rate = throughput.withLock { $0.rate(now: now, sent: sent) }
        return HubMetricsSnapshot(
            totalConnections: total,
            activeConnections: activeConnections.load(ordering: .relaxed),
            messagesSent: sent,
            messagesReceived: messagesReceived.load(ordering: .relaxed),
            connectionErrors: errors,
            pingTimeouts: pingTimeouts.load(ordering: .relaxed),
            slowConsumerDisconnects: slowConsumerCloses.load(ordering: .relaxed),
            averageConnectionDuration: closed == 0 ? 0 : Double(closedNanos) / Double(closed) / 1e9,
            connectionSuccessRate: total == 0 ? 1 : Double(max(0, total - errors)) / Double(total),
            messageThroughput: rate,
            rateLimitedMessages: rateLimitedMessages.load(ordering: .relaxed),
            replacedUpdates: replacedUpdates.load(ordering: .relaxed),
            recoveriesOK: recoveriesOK.load(ordering: .relaxed),
            recoveriesMissed: recoveriesMissed.load(ordering: .relaxed)
        )
    }
}

/// Samples of the sent-message count over the last minute, one per second at most.
struct ThroughputWindow {
    private var samples: [(time: Timestamp, sent: Int)]

    init(start: Timestamp, sent: Int) {
        samples = [(start, sent)]
    }

    mutating func record(now: Timestamp, sent: Int) {
        if let last = samples.last, now - last.time < .seconds(1) { return }
        samples.append((now, sent))
        let horizon = now + .seconds(-60)
        // Keep one sample at or before the horizon so that the window spans a full minute.
        while samples.count > 2, samples[1].time <= horizon { samples.removeFirst() }
    }

    /// Messages sent per second over the last minute (or since start, when younger).
    func rate(now: Timestamp, sent: Int) -> Double {
        let horizon = now + .seconds(-60)
        let base = samples.last(where: { $0.time <= horizon }) ?? samples[0]
        let elapsed = (now - base.time).seconds
        guard elapsed > 0 else { return 0 }
        return Double(sent - base.sent) / elapsed
    }
}

/// The hub's metrics at one moment: the seed's `WebSocketMetrics` with its calculated metrics.
public struct HubMetricsSnapshot: Sendable, Equatable {
    public var totalConnections: Int
    public var activeConnections: Int
    /// Messages written to clients.
    public var messagesSent: Int
    /// Messages received from clients.
    public var messagesReceived: Int
    public var connectionErrors: Int
    public var pingTimeouts: Int
    public var slowConsumerDisconnects: Int
    /// Mean lifetime of closed connections, in seconds.
    public var averageConnectionDuration: Double
    /// (total − errors) / total, 1 when there were none.
    public var connectionSuccessRate: Double
    /// Messages sent per second over the last minute.
    public var messageThroughput: Double
    /// Inbound messages refused by the per-connection rate limit.
    public var rateLimitedMessages: Int = 0
    /// Replaceable updates (task progress) skipped for a connection because a newer one for the
    /// same task superseded them before it was sent.
    public var replacedUpdates: Int = 0
    /// Streams named in `subscribe` with `since` that were recovered (`recovered` true).
    public var recoveriesOK: Int = 0
    /// Streams named in `subscribe` with `since` that could not be recovered (`recovered` false).
    public var recoveriesMissed: Int = 0
}
