public import NIOCore
public import TaskwireProtocol

/// Where the hub finds the events of streams that something else numbers and keeps: a task's
/// stream `task:<id>`, numbered by the task store in the transaction of each change (and, in a
/// cluster, every stream, numbered by the shared database).
///
/// Streams are named by their log key: the stream's name, or for `user_notification` the
/// user's own log, `user_notification#<user id>` (see ``Hub/logKey(ofUser:)``).
///
/// For such a stream the hub takes `seq` and `epoch` from each publish
/// (``Hub/publish(_:to:at:coalescingKey:onDelivered:)``, ``Hub/deliver(_:key:at:coalescingKey:onDelivered:)``)
/// instead of numbering it, and a subscription with `since` that the hub's own history cannot
/// serve is served from the archive.
public protocol StreamArchive: Sendable {
    /// The epoch in which the archive numbers the stream read from `key`, or nil when the hub
    /// numbers it. Called under a lock: it must be quick and must not call into the hub.
    func epoch(ofKey key: String) -> String?

    /// The events of the stream read from `key` numbered after `seq`, oldest first, at most
    /// `limit` of them.
    func events(ofKey key: String, after seq: UInt64, limit: Int) async throws -> [ArchivedEvent]
}

/// One event read back from a ``StreamArchive``.
public struct ArchivedEvent: Sendable {
    public var seq: UInt64
    /// The message, open (without its closing brace) as it was published: see ``ServerMessage``.
    public var body: ByteBuffer

    public init(seq: UInt64, body: ByteBuffer) {
        self.seq = seq
        self.body = body
    }
}
