import NIOCore
public import TaskwireHub
import TaskwireQueue

/// The cluster's database as the hub's ``StreamArchive``: every stream is numbered there, in
/// the database's event epoch. A task's stream `task:<id>` is read from the task's whole
/// history (`task_events`); any other stream from the event log, which keeps what
/// ``PostgresCluster`` does not trim.
public struct PostgresClusterArchive: StreamArchive {
    let store: PostgresTaskStore
    let log: PostgresStreamLog

    public init(store: PostgresTaskStore) {
        self.store = store
        self.log = PostgresStreamLog(store: store)
    }

    public func epoch(ofKey key: String) -> String? {
        let epoch = store.eventEpoch
        return epoch.isEmpty ? nil : epoch
    }

    /// - Throws: ``StreamHistoryTrimmed`` when the log no longer keeps the events right after `seq`.
    public func events(ofKey key: String, after seq: UInt64, limit: Int) async throws -> [ArchivedEvent] {
        if TaskStoreArchive.taskID(ofKey: key) != nil {
            return try await TaskStoreArchive(store: store).events(ofKey: key, after: seq, limit: limit)
        }
        let events = try await log.events(of: key, after: seq, limit: limit)
        if let first = events.first {
            guard first.seq == seq + 1 else { throw StreamHistoryTrimmed(stream: key, after: seq) }
        } else if try await log.lastSeq(of: key) > seq {
            throw StreamHistoryTrimmed(stream: key, after: seq)
        }
        return events.map { ArchivedEvent(seq: $0.seq, body: ByteBuffer(string: $0.body)) }
    }
}

/// The event log no longer keeps the events of a stream after a position: they were trimmed.
public struct StreamHistoryTrimmed: Error, CustomStringConvertible {
    public var stream: String
    public var after: UInt64
    public var description: String { "the events of \"\(stream)\" after seq \(after) are no longer kept" }
}
