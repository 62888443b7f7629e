import Logging
import PostgresNIO
public import TaskwireHub
public import TaskwireProtocol
public import TaskwireQueue

/// The cluster's event log in the shared database: every event of every stream, numbered so that
/// all nodes agree (the table `stream_events`, migration 3).
///
/// - Each stream's events are numbered `seq` 1, 2, 3, … without gaps, in the transaction that
///   appends them, within the database's event epoch (``PostgresTaskStore/eventEpoch``).
/// - Every event also has a cluster-wide `id`, gapless and committed in increasing order: a
///   reader that has seen id N has seen every event before it, so a node follows the log by
///   reading ids after the last it saw. Appending takes a row lock held until commit, which
///   serialises appends across the cluster; that is the price of that order.
/// - Each append notifies the channel ``channel`` with the id (a small payload); the body stays
///   in the table. A notification is only a wake-up: the channel belongs to the database, so
///   logs in other schemas of the same database notify it too, and a follower reads its own log.
/// - The log is bounded: ``trim(before:keepingPerStream:)`` removes old events, and a reader
///   asking for events that were trimmed finds the log starting later than it asked.
public struct PostgresStreamLog: Sendable {
    /// The channel every append notifies, with the event's id as payload.
    public static let channel = "taskwire_events"

    /// One event of the log.
    public struct Event: Sendable, Equatable {
        public var id: Int64
        public var stream: String
        public var seq: UInt64
        /// The message, open (without its closing brace): see ``ServerMessage``.
        public var body: String
        public var coalescingKey: String?
        public var createdAt: Timestamp
    }

    let store: PostgresTaskStore

    /// The log of the database `store` uses (migrated by its ``PostgresTaskStore/migrate()``).
    public init(store: PostgresTaskStore) {
        self.store = store
    }

    /// An event to append.
    public struct Entry: Sendable, Equatable {
        public var stream: String
        /// The message, open (without its closing brace).
        public var body: String
        public var coalescingKey: String?
        /// The seq numbered by the caller (a task store numbers `task:<id>`); nil for the stream's next.
        public var seq: UInt64?
        /// A state: dropped when it equals the stream's last body (`queue_status_changed`).
        public var onlyIfChanged: Bool

        public init(stream: String, body: String, coalescingKey: String? = nil, seq: UInt64? = nil, onlyIfChanged: Bool = false) {
            self.stream = stream
            self.body = body
            self.coalescingKey = coalescingKey
            self.seq = seq
            self.onlyIfChanged = onlyIfChanged
        }
    }

    /// Appends an event to `stream` in a transaction of its own.
    /// - Returns: the event's id and its position in the stream.
    public func append(_ body: String, to stream: String, coalescingKey: String? = nil, at time: Timestamp) async throws -> (id: Int64, position: StreamPosition) {
        let epoch = try store.migratedEpoch()
        let appended = try await store.read("append event") { connection in
            try await Self.append([Entry(stream: stream, body: body, coalescingKey: coalescingKey)], at: time, on: connection, logger: store.logger)
        }
        guard let event = appended.first ?? nil else { throw TaskQueueError(.unavailable, "appending an event returned nothing") }
        return (event.id, StreamPosition(seq: event.seq, epoch: epoch))
    }

    /// Appends `entries` on `connection`, in whatever transaction it is in (a task change
    /// appends its events in its own transaction; a statement outside one is its own). Call it
    /// last in the transaction: from here to the commit, other appends of the cluster wait.
    /// - Returns: each entry's id and seq, in order; nil for a state dropped as unchanged.
    static func append(
        _ entries: [Entry],
        at time: Timestamp,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [(id: Int64, seq: UInt64)?] {
        guard !entries.isEmpty else { return [] }
        let streams = entries.map(\.stream)
        let bodies = entries.map(\.body)
        let keys = entries.map { $0.coalescingKey ?? "" }
        let seqs = entries.map { Int64(clamping: $0.seq ?? 0) }
        let states = entries.map(\.onlyIfChanged)
        let rows = try await connection.query(
            """
            SELECT out_id, out_seq FROM taskwire_append_events(\(streams), \(bodies), \(keys), \(seqs), \(states), \(time.nanosecondsSinceEpoch))
            """,
            logger: logger
        )
        var appended: [(id: Int64, seq: UInt64)?] = []
        appended.reserveCapacity(entries.count)
        for try await (id, seq) in rows.decode((Int64?, Int64?).self) {
            if let id, let seq { appended.append((id, UInt64(seq))) } else { appended.append(nil) }
        }
        guard appended.count == entries.count else { throw TaskQueueError(.unavailable, "appending events returned \(appended.count) rows for \(entries.count)") }
        return appended
    }

    /// The id of the last event appended (0 for an empty log).
    public func lastID() async throws -> Int64 {
        try await store.read("last event id") { connection in
            let rows = try await connection.query("SELECT last_id FROM stream_log_head", logger: store.logger)
            for try await id in rows.decode(Int64.self) { return id }
            return 0
        }
    }

    /// The seq of the last event appended to `stream` (0 when it never had one), trimmed or not.
    public func lastSeq(of stream: String) async throws -> UInt64 {
        try await store.read("stream head") { connection in
            let rows = try await connection.query("SELECT last_seq FROM stream_heads WHERE stream = \(stream)", logger: store.logger)
            for try await seq in rows.decode(Int64.self) { return UInt64(seq) }
            return 0
        }
    }

    /// The events after `id`, in id order, at most `limit` of them.
    public func events(after id: Int64, limit: Int) async throws -> [Event] {
        try await store.read("read events") { connection in
            let rows = try await connection.query(
                """
                SELECT id, stream, seq, body, coalescing_key, created_at FROM stream_events \
                WHERE id > \(id) ORDER BY id LIMIT \(Int64(max(0, limit)))
                """,
                logger: store.logger
            )
            var events: [Event] = []
            for try await (id, stream, seq, body, key, created) in rows.decode((Int64, String, Int64, String, String?, Int64).self) {
                events.append(Event(id: id, stream: stream, seq: UInt64(seq), body: body, coalescingKey: key, createdAt: Timestamp(nanosecondsSinceEpoch: created)))
            }
            return events
        }
    }

    /// The events of `stream` numbered after `seq`, oldest first, at most `limit` of them.
    public func events(of stream: String, after seq: UInt64, limit: Int) async throws -> [Event] {
        try await store.read("read stream") { connection in
            let rows = try await connection.query(
                """
                SELECT id, seq, body, coalescing_key, created_at FROM stream_events \
                WHERE stream = \(stream) AND seq > \(Int64(clamping: seq)) ORDER BY seq LIMIT \(Int64(max(0, limit)))
                """,
                logger: store.logger
            )
            var events: [Event] = []
            for try await (id, seq, body, key, created) in rows.decode((Int64, Int64, String, String?, Int64).self) {
                events.append(Event(id: id, stream: stream, seq: UInt64(seq), body: body, coalescingKey: key, createdAt: Timestamp(nanosecondsSinceEpoch: created)))
            }
            return events
        }
    }

    /// Removes the events older than `time`, and those more than `size` behind their stream's
    /// last one. Numbering goes on where it was.
    /// - Returns: how many events were removed.
    @discardableResult
    public func trim(before time: Timestamp, keepingPerStream size: Int) async throws -> Int {
        try await store.read("trim events") { connection in
            let rows = try await connection.query(
                """
                WITH gone AS (
                    DELETE FROM stream_events e USING stream_heads h
                    WHERE e.stream = h.stream AND (e.created_at < \(time.nanosecondsSinceEpoch) OR e.seq <= h.last_seq - \(Int64(max(0, size))))
                    RETURNING 1
                ) SELECT count(*) FROM gone
                """,
                logger: store.logger
            )
            for try await count in rows.decode(Int64.self) { return Int(count) }
            return 0
        }
    }
}
