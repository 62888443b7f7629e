/// A WebSocket close code, as the protocol's table lists them.
public struct CloseCode: Sendable, Hashable, CustomStringConvertible {
    /// The numeric code sent in the close frame.
    public let rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Normal close.
    public static let normal = CloseCode(rawValue: 1000)
    /// The server is shutting down; the client should reconnect elsewhere.
    public static let goingAway = CloseCode(rawValue: 1001)
    /// The peer broke the WebSocket protocol itself.
    public static let protocolError = CloseCode(rawValue: 1002)
    /// Policy: too many bad messages, closed by an admin, credentials revoked.
    public static let policyViolation = CloseCode(rawValue: 1008)
    /// A message larger than `max_message_size`.
    public static let messageTooBig = CloseCode(rawValue: 1009)
    /// An internal error.
    public static let internalError = CloseCode(rawValue: 1011)
    /// Credentials expired or invalid.
    public static let credentialsExpired = CloseCode(rawValue: 4001)
    /// Heartbeat: no pong within `pong_timeout`.
    public static let heartbeatTimeout = CloseCode(rawValue: 4002)
    /// Slow consumer: the outbound queue went over its bound.
    public static let slowConsumer = CloseCode(rawValue: 4003)
    /// The inbound rate limit was exceeded repeatedly.
    public static let rateLimited = CloseCode(rawValue: 4004)

    public var description: String { String(rawValue) }
}
