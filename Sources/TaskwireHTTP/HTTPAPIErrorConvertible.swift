public import HTTPTypes
public import Hummingbird

/// An error with an HTTP API form: its status and JSON response follow from ``httpError``.
public protocol HTTPAPIErrorConvertible: HTTPResponseError {
    /// The HTTP form of this error.
    var httpError: HTTPAPIError { get }
}

extension HTTPAPIErrorConvertible {
    /// The HTTP status of ``httpError``.
    public var status: HTTPResponse.Status { httpError.status }

    /// The JSON response.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        httpError.makeResponse()
    }
}
