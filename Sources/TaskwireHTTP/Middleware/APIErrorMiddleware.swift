public import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import TaskwireProtocol
import TaskwireQueue

/// Turns every error into PROTOCOL.md's JSON error body: Taskwire's own errors, Hummingbird's
/// (no route: 404, body too large: 413, …) and unexpected ones (500, logged, details not sent).
///
/// Add it to the router before any route, so that it also covers requests that match no route.
public struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPAPIError {
            return error.makeResponse()
        } catch let error as TaskwireError {
            return error.httpError.makeResponse()
        } catch let error as TaskQueueError {
            return error.httpError.makeResponse()
        } catch let error as HTTPError {
            return Self.translate(error, request: request).makeResponse()
        } catch is NIOTooManyBytesError {
            return HTTPAPIError(.payloadTooLarge, "request body is too large").makeResponse()
        } catch let error as any HTTPResponseError {
            return HTTPAPIError(Self.code(for: error.status), error.status.reasonPhrase).makeResponse()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            context.logger.error(
                "request failed",
                metadata: [
                    "tw.http.path": "\(context.endpointPath ?? "-")",
                    "error.type": "\(String(reflecting: type(of: error)))",
                ]
            )
            return HTTPAPIError(.internal, "internal error").makeResponse()
        }
    }

    /// Hummingbird's `HTTPError`, with its message or a default naming the route.
    static func translate(_ error: HTTPError, request: Request) -> HTTPAPIError {
        let code = code(for: error.status)
        let message: String
        if let body = error.body {
            message = body
        } else if error.status == .notFound {
            message = "no route for \(request.method.rawValue) \(request.uri.path)"
        } else {
            message = error.status.reasonPhrase
        }
        return HTTPAPIError(code, message, headers: error.headers)
    }

    /// The API code for an HTTP status.
    static func code(for status: HTTPResponse.Status) -> HTTPAPIError.Code {
        switch status.code {
        case 400: .badRequest
        case 401: .unauthorized
        case 403: .forbidden
        case 404: .notFound
        case 405: .methodNotAllowed
        case 409: .conflict
        case 413: .payloadTooLarge
        case 429: .rateLimited
        case 503: .unavailable
        case 400..<500: .badRequest
        default: .internal
        }
    }
}
