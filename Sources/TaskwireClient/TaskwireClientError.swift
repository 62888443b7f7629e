/// An error of the Taskwire client: a code to switch on, a message safe to show, and, for errors
/// the server reported, the protocol's error code.
public struct TaskwireClientError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case invalidAddress = "invalid_address"
            case connectionFailed = "connection_failed"
            case connectionLost = "connection_lost"
            case upgradeRefused = "upgrade_refused"
            case timeout
            case closed
            case server
            case http
            case invalidResponse = "invalid_response"
            case invalidArgument = "invalid_argument"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The server address could not be parsed.
        public static let invalidAddress = Code(.invalidAddress)
        /// The TCP connection or the WebSocket handshake failed.
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection ended while a request waited for its answer.
        public static let connectionLost = Code(.connectionLost)
        /// The server answered the upgrade request with plain HTTP (400, 401, 403, 503).
        public static let upgradeRefused = Code(.upgradeRefused)
        /// No answer in time.
        public static let timeout = Code(.timeout)
        /// The client was closed, or gave up reconnecting.
        public static let closed = Code(.closed)
        /// The server answered a request with an `error` message; see ``TaskwireClientError/serverCode``.
        public static let server = Code(.server)
        /// An HTTP API call answered with an error status; see ``TaskwireClientError/httpStatus``.
        public static let http = Code(.http)
        /// The server sent something that is not what the protocol says.
        public static let invalidResponse = Code(.invalidResponse)
        /// A bad argument, such as an invalid stream name, caught before anything was sent.
        public static let invalidArgument = Code(.invalidArgument)

        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong, in words.
    public var message: String
    /// The protocol error code, for ``Code/server`` errors (and for HTTP errors, the API's `error.code`).
    public var serverCode: String?
    /// The HTTP status, for ``Code/http`` and ``Code/upgradeRefused`` errors.
    public var httpStatus: Int?

    /// Creates an error.
    public init(_ code: Code, _ message: String, serverCode: String? = nil, httpStatus: Int? = nil) {
        self.code = code
        self.message = message
        self.serverCode = serverCode
        self.httpStatus = httpStatus
    }

    public var description: String {
        var text = "\(code): \(message)"
        if let serverCode { text += " [\(serverCode)]" }
        if let httpStatus { text += " (HTTP \(httpStatus))" }
        return text
    }
}
