import NIOCore
import DequeModule

/// The recent messages of one stream on one shard, shared by every subscriber on that shard.
///
/// Subscribers do not get copies: each keeps a cursor (the last `seq` it was sent) and the
/// shard writes from the log to the connection whenever the connection can take more. The log
/// is bounded in messages and bytes; a subscriber whose cursor falls behind the oldest message
/// kept is a slow consumer. Touched only on its shard's executor.
///
/// Replaceable messages (those with a ``OutboundMessage/coalescingKey``) are marked superseded
/// when a newer message with the same key is appended; subscribers skip superseded messages, and
/// a subscriber whose cursor is behind only superseded dropped messages is not a slow consumer.
final class StreamLog {
    let key: String
    /// Messages by seq: `messages[0]` has seq `firstSeq`.
    private(set) var messages: Deque<OutboundMessage> = []
    private(set) var firstSeq: UInt64
    private(set) var bytes = 0
    /// Parallel to `messages`: whether a newer message with the same coalescing key made it obsolete.
    private(set) var superseded: Deque<Bool> = []
    /// The seq of the newest message kept for each coalescing key.
    private(set) var lastSeqForKey: [String: UInt64] = [:]
    /// The seq of the newest message dropped from the log that was not superseded (0 if none):
    /// a subscriber that has not been sent it missed something and is a slow consumer.
    private(set) var lastEssentialDroppedSeq: UInt64 = 0
    /// The subscriptions reading this log.
    var subscribers: ContiguousArray<Subscription> = []

    /// - Parameter nextSeq: the seq of the first message this log will be given.
    init(key: String, nextSeq: UInt64) {
        self.key = key
        self.firstSeq = nextSeq
    }

    /// Seq of the newest message appended (`firstSeq - 1` when empty).
    var lastSeq: UInt64 { firstSeq &+ UInt64(messages.count) &- 1 }

    /// Appends the message with `seq`; older seqs (already covered) are ignored.
    /// - Returns: whether it was appended.
    func append(_ message: OutboundMessage, seq: UInt64, maxMessages: Int, maxBytes: Int) -> Bool {
        if seq != lastSeq &+ 1 {
            // Events numbered before this log started (still in the inbox) are not for it.
            guard seq > lastSeq else { return false }
            rebase(at: seq)
        }
        messages.append(message)
        superseded.append(false)
        if let key = message.coalescingKey {
            if let previous = lastSeqForKey[key], previous >= firstSeq {
                superseded[Int(previous - firstSeq)] = true
            }
            lastSeqForKey[key] = seq
        }
        bytes += message.frame.readableBytes
        var trimmed = false
        while messages.count > maxMessages || (bytes > maxBytes && messages.count > 1) {
            // Full: first give back what every subscriber was sent (one pass), and only then
            // drop messages someone still waits for.
            if !trimmed {
                trimmed = true
                trimConsumed()
                continue
            }
            dropFirst()
        }
        return true
    }

    /// The subscribers that are behind the log and still connected: they can never catch up.
    var subscribersBehind: [Subscription] {
        subscribers.filter { $0.isBehindLog && $0.client.state.receivesMessages }
    }

    /// The message with `seq`; `seq` must be in `firstSeq...lastSeq`.
    func message(seq: UInt64) -> OutboundMessage {
        messages[Int(seq - firstSeq)]
    }

    /// Whether the message with `seq` was made obsolete by a newer one; `seq` must be in `firstSeq...lastSeq`.
    func isSuperseded(seq: UInt64) -> Bool {
        superseded[Int(seq - firstSeq)]
    }

    /// Drops messages every subscriber has been sent, to give memory back when idle.
    func trimConsumed() {
        var minCursor = lastSeq
        // A connection on its way out is sent nothing more: it does not hold the log back.
        for sub in subscribers where sub.client.state.receivesMessages { minCursor = min(minCursor, sub.cursor) }
        while !messages.isEmpty, firstSeq <= minCursor { dropFirst() }
    }

    /// Makes `seq` the next seq of the log, after a jump in the stream's numbering (an archived
    /// stream whose earlier events this hub never saw). Subscribers sent everything so far just
    /// move on; one that was still behind cannot be given what it missed and becomes behind.
    private func rebase(at seq: UInt64) {
        let caughtUp = lastSeq
        var someoneBehind = false
        for sub in subscribers {
            if sub.cursor >= caughtUp {
                sub.cursor = max(sub.cursor, seq &- 1)
            } else {
                someoneBehind = true
            }
        }
        while !messages.isEmpty { dropFirst() }
        lastSeqForKey.removeAll()
        firstSeq = seq
        if someoneBehind { lastEssentialDroppedSeq = seq &- 1 }
    }

    private func dropFirst() {
        let dropped = messages.removeFirst()
        if !superseded.removeFirst() { lastEssentialDroppedSeq = firstSeq }
        if let key = dropped.coalescingKey, lastSeqForKey[key] == firstSeq {
            lastSeqForKey.removeValue(forKey: key)
        }
        bytes -= dropped.frame.readableBytes
        firstSeq &+= 1
    }
}

/// One connection's subscription to one stream on its shard.
final class Subscription {
    unowned let client: HubClient
    let log: StreamLog
    /// The last seq sent (or skipped over) to this connection.
    var cursor: UInt64
    /// Position in `log.subscribers`.
    var listIndex: Int
    /// Whether it sits in the client's list of subscriptions with unsent messages.
    var isPending = false
    /// Whether sending is on hold while recovered events are read from the archive: the log
    /// keeps what arrives meanwhile, and `cursor` then moves past what the replay covered.
    var isHeld = false

    init(client: HubClient, log: StreamLog, cursor: UInt64, listIndex: Int) {
        self.client = client
        self.log = log
        self.cursor = cursor
        self.listIndex = listIndex
    }

    var hasUnsent: Bool { cursor < log.lastSeq }
    /// Whether a message it has not been sent and that was not superseded has been dropped.
    var isBehindLog: Bool { cursor < log.lastEssentialDroppedSeq }
}
