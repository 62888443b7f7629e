public import TaskwireQueue

/// The task queue's refusals, answered over HTTP with the API's error body.
///
/// `notFound` is 404 `not_found`, `conflict` 409 `conflict`, `invalid` 400 `bad_request` and
/// `unavailable` 503 `unavailable`; the message (naming the task or field) is passed on as it is.
extension TaskQueueError: HTTPAPIErrorConvertible {
    /// The HTTP form of this error.
    public var httpError: HTTPAPIError {
        let code: HTTPAPIError.Code =
            switch self.code {
            case .notFound: .notFound
            case .conflict: .conflict
            case .unavailable: .unavailable
            default: .badRequest
            }
        return HTTPAPIError(code, message)
    }
}
