import NIOCore
import TaskwireProtocol

/// A message from the server, decoded for the client's dispatch.
enum IncomingMessage: Sendable {
    case welcome(Welcome)
    case event(TaskwireEvent)
    /// An `ack`: the request's id and the whole message (for `subscriptions`, `recovered`, `delivered`).
    case ack(id: Int64, fields: JSONValue)
    /// An `error`, answering the request `id` when it names one.
    case error(id: Int64?, code: String, message: String)
    case ping
    case pong
    /// Anything else: ignored, as the protocol says of what a receiver does not know.
    case unknown

    /// Decodes one text message.
    ///
    /// - Throws: ``TaskwireClientError`` with ``TaskwireClientError/Code/invalidResponse`` when it is not a JSON object with a `type`.
    static func decode(_ text: ByteBuffer) throws(TaskwireClientError) -> IncomingMessage {
        let value: JSONValue
        do {
            value = try JSONValue.parse(text)
        } catch {
            throw TaskwireClientError(.invalidResponse, "the server sent a message that is not JSON: \(error)")
        }
        guard let type = value["type"]?.stringValue else {
            throw TaskwireClientError(.invalidResponse, "the server sent a message without a type")
        }
        switch type {
        case "welcome":
            return .welcome(Welcome(value))
        case "ack":
            guard let id = value["id"]?.int64Value else { return .unknown }
            return .ack(id: id, fields: value)
        case "error":
            return .error(
                id: value["id"]?.int64Value,
                code: value["code"]?.stringValue ?? "internal",
                message: value["message"]?.stringValue ?? ""
            )
        case "ping":
            return .ping
        case "pong":
            return .pong
        default:
            if let event = TaskwireEvent(value) { return .event(event) }
            return .unknown
        }
    }
}

/// The server's first message on a connection.
public struct Welcome: Sendable, Hashable {
    /// The connection's id (what the admin API lists).
    public var clientID: String
    /// The authenticated user, if any.
    public var userID: String?
    /// The session, if any.
    public var sessionID: String?
    /// The subscriptions the connection starts with.
    public var subscriptions: [String]
    /// How often the server pings.
    public var pingInterval: Duration
    /// How long the server waits for a pong.
    public var pongTimeout: Duration
    /// The largest message the server accepts.
    public var maxMessageSize: Int
    /// The server's name and version, `taskwire/x.y.z`.
    public var server: String

    init(_ value: JSONValue) {
        clientID = value["client_id"]?.stringValue ?? ""
        userID = value["user_id"]?.stringValue
        sessionID = value["session_id"]?.stringValue
        if case .array(let items)? = value["subscriptions"] {
            subscriptions = items.compactMap(\.stringValue)
        } else {
            subscriptions = []
        }
        pingInterval = .milliseconds(value["ping_interval_ms"]?.int64Value ?? 30_000)
        pongTimeout = .milliseconds(value["pong_timeout_ms"]?.int64Value ?? 10_000)
        maxMessageSize = Int(value["max_message_size"]?.int64Value ?? 1 << 20)
        server = value["server"]?.stringValue ?? ""
    }
}
