public import HTTPTypes
public import Hummingbird
import NIOCore
import TaskwireProtocol

/// An HTTP API error: a status and PROTOCOL.md's JSON body `{"error":{"code":"…","message":"…"}}`.
///
/// ```swift
/// throw HTTPAPIError(.badRequest, "field 'event_type' is missing")
/// ```
public struct HTTPAPIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    /// The error's `code` and its HTTP status.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The string sent in `error.code`.
        public let rawValue: String
        /// The HTTP status that goes with it.
        public let status: HTTPResponse.Status

        private init(_ rawValue: String, _ status: HTTPResponse.Status) {
            self.rawValue = rawValue
            self.status = status
        }

        /// 400: the request is malformed; the message names the field.
        public static let badRequest = Code("bad_request", .badRequest)
        /// 401: credentials are missing or invalid.
        public static let unauthorized = Code("unauthorized", .unauthorized)
        /// 403: the caller may not do this.
        public static let forbidden = Code("forbidden", .forbidden)
        /// 404: no such resource (also for malformed ids) or no such route.
        public static let notFound = Code("not_found", .notFound)
        /// 405: the route exists but not for this method (Taskwire's extension; `Allow` lists the methods).
        public static let methodNotAllowed = Code("method_not_allowed", .methodNotAllowed)
        /// 409: the resource is not in a state that allows this.
        public static let conflict = Code("conflict", .conflict)
        /// 413: the request body is larger than the configured limit.
        public static let payloadTooLarge = Code("payload_too_large", .contentTooLarge)
        /// 429: too many requests.
        public static let rateLimited = Code("rate_limited", .tooManyRequests)
        /// 500: the server failed.
        public static let `internal` = Code("internal", .internalServerError)
        /// 503: the server is not ready (Taskwire's extension, used by `/readyz`).
        public static let unavailable = Code("unavailable", .serviceUnavailable)

        public var description: String { rawValue }
    }

    /// The error's code.
    public var code: Code
    /// What went wrong, naming the field and the reason. Safe to show to clients.
    public var message: String
    /// Extra response headers (`Allow`, `Retry-After`).
    public var headers: HTTPFields

    /// Creates an error.
    public init(_ code: Code, _ message: String, headers: HTTPFields = [:]) {
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// The HTTP status of ``code``.
    public var status: HTTPResponse.Status { code.status }

    public var description: String { "\(code.rawValue): \(message)" }

    /// The JSON response.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        makeResponse()
    }

    /// The JSON response, without a request.
    public func makeResponse() -> Response {
        var body = ByteBuffer()
        body.writeStaticString(#"{"error":{"code":"#)
        body.writeJSONString(code.rawValue)
        body.writeStaticString(#","message":"#)
        body.writeJSONString(message)
        body.writeStaticString("}}")
        var response = Response.json(body, status: status)
        response.headers.append(contentsOf: headers)
        return response
    }
}
