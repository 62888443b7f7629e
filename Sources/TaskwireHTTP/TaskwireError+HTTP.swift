public import TaskwireProtocol

/// The protocol's errors, answered over HTTP with the API's error body.
///
/// `bad_message`, `unknown_type` and `invalid_event_type` become `bad_request` (400);
/// `unauthorized` 401, `forbidden` 403, `not_found` 404, `rate_limited` 429, `internal` 500.
extension TaskwireError: HTTPAPIErrorConvertible {
    /// The HTTP form of this error.
    public var httpError: HTTPAPIError {
        let code: HTTPAPIError.Code =
            switch self.code {
            case .unauthorized: .unauthorized
            case .forbidden: .forbidden
            case .notFound: .notFound
            case .rateLimited: .rateLimited
            case .internal: .internal
            default: .badRequest
            }
        return HTTPAPIError(code, message)
    }
}
