import DequeModule
import NIOCore
import Synchronization
import TaskwireProtocol

/// Per-stream numbering, shared by all shards: the next `seq`, the stream's `epoch`, and which
/// shards have subscribers (so a publish visits only those).
///
/// Split into lock stripes by stream name, so publishers on different streams rarely contend.
final class StreamTable: Sendable {
    struct Entry {
        var seq: UInt64 = 0
        var epoch: String
        /// False for a stream the archive numbers until its first event arrives: ``seq`` is
        /// then not the stream's, and only the archive knows what came before.
        var seqIsKnown = true
        /// Bit `i` is set while shard `i` has subscribers.
        var shardMask: UInt64 = 0
        var lastActivity: Timestamp
        /// The most recent events, oldest first, for recovery.
        var history: Deque<(seq: UInt64, time: Timestamp, message: OutboundMessage)> = []
        /// The body of the last state published with ``Hub/publishState(_:to:)``.
        var lastState: ByteBuffer?

        /// Keeps at most `size` events, none older than `ttl`.
        mutating func trimHistory(size: Int, ttl: Duration, now: Timestamp) {
            while history.count > size { history.removeFirst() }
            let horizon = Timestamp(nanosecondsSinceEpoch: now.nanosecondsSinceEpoch - ttl.nanoseconds)
            while let first = history.first, first.time < horizon { history.removeFirst() }
        }

        /// Moves the numbering to `position` (the position of the event about to be appended,
        /// from the stream's archive). - Returns: false when `position` is not after the current
        /// one in the same epoch (a stale or repeated event, to be ignored).
        mutating func advance(to position: StreamPosition) -> Bool {
            defer { seqIsKnown = true }
            if position.epoch == epoch && position.seq == seq &+ 1 { return true }
            if position.epoch == epoch && position.seq <= seq { return false }
            // A gap (the hub did not see the events in between) or a new epoch: the history
            // would no longer be contiguous, so it starts again here.
            epoch = position.epoch
            seq = position.seq &- 1
            history.removeAll()
            return true
        }

        /// The events after `position`, when the history still reaches back to it in the same epoch.
        func events(after position: StreamPosition) -> [OutboundMessage]? {
            guard seqIsKnown, position.epoch == epoch, position.seq <= seq else { return nil }
            if position.seq == seq { return [] }
            guard let first = history.first, first.seq <= position.seq + 1 else { return nil }
            return history.lazy.filter { $0.seq > position.seq }.map(\.message)
        }
    }

    final class Stripe: Sendable {
        let entries = Mutex<[String: Entry]>([:])
    }

    private let stripes: [Stripe]
    private let hubEpoch: String
    private let generation = Atomic<UInt64>(0)
    private let archiveBox = Mutex<(any StreamArchive)?>(nil)
    private let relayBox = Mutex<(any EventRelay)?>(nil)

    /// The archive of streams the hub does not number itself, if any.
    var archive: (any StreamArchive)? {
        get { archiveBox.withLock { $0 } }
        set { archiveBox.withLock { $0 = newValue } }
    }

    /// The cluster's relay, if any: then every stream is numbered by the cluster.
    var relay: (any EventRelay)? {
        get { relayBox.withLock { $0 } }
        set { relayBox.withLock { $0 = newValue } }
    }

    init(hubEpoch: String, stripeCount: Int = 16) {
        self.hubEpoch = hubEpoch
        self.stripes = (0..<stripeCount).map { _ in Stripe() }
    }

    func stripe(for key: String) -> Stripe {
        var hasher = Hasher()
        hasher.combine(key)
        let h = hasher.finalize()
        return stripes[Int(UInt(bitPattern: h) % UInt(stripes.count))]
    }

    /// A new epoch for a stream whose numbering starts (again) at 1.
    func newEpoch() -> String {
        let g = generation.add(1, ordering: .relaxed).newValue
        return hubEpoch + "." + String(g, radix: 36)
    }

    /// The entry of a stream seen for the first time: in the archive's epoch when the archive
    /// numbers the stream (its seq is then set by the first publish), else in a new epoch.
    func makeEntry(_ key: String, now: Timestamp) -> Entry {
        guard let epoch = archiveEpoch(key) else { return Entry(epoch: newEpoch(), lastActivity: now) }
        var entry = Entry(epoch: epoch, lastActivity: now)
        entry.seqIsKnown = false
        return entry
    }

    /// The archive's epoch for the stream read from `key`, when the archive numbers it.
    func archiveEpoch(_ key: String) -> String? {
        archive?.epoch(ofKey: key)
    }

    /// Marks shard `shard` as having subscribers of `key`; returns the stream's current position and,
    /// when `since` is given, the events after it (nil when they cannot all be recovered).
    ///
    /// Both happen under the stream's lock, so the replay and the live events that follow it
    /// (numbered after `seq`) neither overlap nor leave a gap.
    func attach(
        _ key: String,
        shard: Int,
        since: StreamPosition?,
        now: Timestamp
    ) -> (position: StreamPosition, replay: [OutboundMessage]?) {
        stripe(for: key).entries.withLock { entries in
            if entries[key] == nil { entries[key] = makeEntry(key, now: now) }
            // In place, so that the history is not copied.
            entries[key]!.shardMask |= (1 << UInt64(shard))
            entries[key]!.lastActivity = now
            let entry = entries[key]!
            return (StreamPosition(seq: entry.seq, epoch: entry.epoch), since.flatMap { entry.events(after: $0) })
        }
    }

    /// Marks shard `shard` as having no subscribers of `key` any more.
    func detach(_ key: String, shard: Int, now: Timestamp) {
        stripe(for: key).entries.withLock { entries in
            guard entries[key] != nil else { return }
            entries[key]!.shardMask &= ~(1 << UInt64(shard))
            entries[key]!.lastActivity = now
        }
    }

    /// The current seq and epoch of a stream (seq 0 and a fresh epoch if it never had an event).
    func position(_ key: String, now: Timestamp) -> (seq: UInt64, epoch: String) {
        stripe(for: key).entries.withLock { entries in
            if let entry = entries[key] { return (entry.seq, entry.epoch) }
            let entry = makeEntry(key, now: now)
            entries[key] = entry
            return (entry.seq, entry.epoch)
        }
    }

    /// Trims every stream's history to `size` and `ttl`, and forgets streams that nobody is
    /// subscribed to, whose history is empty, and that saw nothing since `idleSince`. Their
    /// numbering restarts under a new epoch if they are used again.
    /// - Returns: how many streams were forgotten.
    func trimAndEvict(historySize: Int, historyTTL: Duration, idleSince: Timestamp, now: Timestamp) -> Int {
        var evicted = 0
        for stripe in stripes {
            stripe.entries.withLock { entries in
                var idle: [String] = []
                for key in entries.keys {
                    entries[key]!.trimHistory(size: historySize, ttl: historyTTL, now: now)
                    let entry = entries[key]!
                    if entry.shardMask == 0 && entry.history.isEmpty && entry.lastActivity < idleSince { idle.append(key) }
                }
                for key in idle { entries.removeValue(forKey: key) }
                evicted += idle.count
            }
        }
        return evicted
    }

    /// Number of streams known.
    var count: Int {
        stripes.reduce(0) { total, stripe in total + stripe.entries.withLock { $0.count } }
    }
}
