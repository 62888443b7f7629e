/// The `code` of a protocol `error` message.
public struct ErrorCode: Sendable, Hashable, CustomStringConvertible {
    /// The string sent on the wire.
    public let rawValue: String

    private init(_ rawValue: String) { self.rawValue = rawValue }

    /// Not JSON, no `type`, wrong field types, a binary frame.
    public static let badMessage = ErrorCode("bad_message")
    /// A `type` the server does not know.
    public static let unknownType = ErrorCode("unknown_type")
    /// The credentials are missing, malformed, not valid (signature, algorithm) or expired.
    public static let unauthorized = ErrorCode("unauthorized")
    /// The connection may not do this.
    public static let forbidden = ErrorCode("forbidden")
    /// A stream name that is not valid.
    public static let invalidEventType = ErrorCode("invalid_event_type")
    /// Too many messages.
    public static let rateLimited = ErrorCode("rate_limited")
    /// The thing named does not exist.
    public static let notFound = ErrorCode("not_found")
    /// The server failed.
    public static let `internal` = ErrorCode("internal")
    /// The server cannot do it right now (a cluster node that cannot reach its database); try again.
    public static let unavailable = ErrorCode("unavailable")

    public var description: String { rawValue }
}

/// An error the server reports to a client: a protocol `error` message, or its HTTP form.
public struct TaskwireError: Error, Sendable, CustomStringConvertible {
    /// The stable code.
    public var code: ErrorCode
    /// What went wrong, naming the field and the reason.
    public var message: String
    /// The `id` of the request it answers, if the request had one.
    public var requestID: RequestID?

    public init(_ code: ErrorCode, _ message: String, requestID: RequestID? = nil) {
        self.code = code
        self.message = message
        self.requestID = requestID
    }

    public var description: String { "\(code): \(message)" }
}
