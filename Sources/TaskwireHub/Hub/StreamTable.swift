import Synchronization

/// Per-stream numbering, shared by all shards: the next `seq`, the stream's `epoch`, and which
/// shards have subscribers (so a publish visits only those).
///
/// Split into lock stripes by stream name, so publishers on different streams rarely contend.
final class StreamTable: Sendable {
    struct Entry {
        var seq: UInt64 = 0
        var epoch: String
        /// Bit `i` is set while shard `i` has subscribers.
        var shardMask: UInt64 = 0
        var lastActivity: Timestamp
    }

    final class Stripe: Sendable {
        let entries = Mutex<[String: Entry]>([:])
    }

    private let stripes: [Stripe]
    private let hubEpoch: String
    private let generation = Atomic<UInt64>(0)

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

    /// Marks shard `shard` as having subscribers of `key`; returns the stream's current seq and epoch.
    func attach(_ key: String, shard: Int, now: Timestamp) -> (seq: UInt64, epoch: String) {
        stripe(for: key).entries.withLock { entries in
            var entry = entries[key] ?? Entry(epoch: newEpoch(), lastActivity: now)
            entry.shardMask |= (1 << UInt64(shard))
            entry.lastActivity = now
            entries[key] = entry
            return (entry.seq, entry.epoch)
        }
    }

    /// Marks shard `shard` as having no subscribers of `key` any more.
    func detach(_ key: String, shard: Int, now: Timestamp) {
        stripe(for: key).entries.withLock { entries in
            guard var entry = entries[key] else { return }
            entry.shardMask &= ~(1 << UInt64(shard))
            entry.lastActivity = now
            entries[key] = entry
        }
    }

    /// The current seq and epoch of a stream (seq 0 and a fresh epoch if it never had an event).
    func position(_ key: String, now: Timestamp) -> (seq: UInt64, epoch: String) {
        stripe(for: key).entries.withLock { entries in
            if let entry = entries[key] { return (entry.seq, entry.epoch) }
            let entry = Entry(epoch: newEpoch(), lastActivity: now)
            entries[key] = entry
            return (entry.seq, entry.epoch)
        }
    }

    /// Forgets streams that nobody is subscribed to and that saw nothing since `idleSince`.
    /// Their numbering restarts under a new epoch if they are used again.
    /// - Returns: how many were forgotten.
    func evictIdle(before idleSince: Timestamp) -> Int {
        var evicted = 0
        for stripe in stripes {
            stripe.entries.withLock { entries in
                let idle = entries.filter { $0.value.shardMask == 0 && $0.value.lastActivity < idleSince }
                for key in idle.keys { entries.removeValue(forKey: key) }
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
