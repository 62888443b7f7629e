public import Hummingbird
import HTTPTypes
public import TaskwireHub
import TaskwireProtocol

/// Checks every request's credentials against the rights its route needs (``APIFamily``):
/// health, the OpenAPI document and the dashboard's files are open; the task API needs `tasks`,
/// the worker API `worker`, connections, publish, notifications and metrics `admin`.
///
/// The token is read from `Authorization: Bearer` or the `token` query parameter. A request
/// without one is anonymous where the authenticator allows it; a bad token is 401 even then.
public struct AuthMiddleware: RouterMiddleware {
    public typealias Context = TaskwireRequestContext
    let authenticator: any ClientAuthenticator

    public init(authenticator: any ClientAuthenticator) {
        self.authenticator = authenticator
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let family = APIFamily.of(method: request.method, path: request.uri.path)
        guard family != .open else { return try await next(request, context) }
        let token = BearerToken.from(authorization: request.headers[.authorization])
            ?? request.uri.queryParameters["token"].map(String.init)
        let access: Access
        do {
            access = try await authenticator.authenticate(token: token)
        } catch {
            var response = HTTPAPIError(.unauthorized, error.message).makeResponse()
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        guard access.allows(family) else {
            throw HTTPAPIError(.forbidden, "these credentials do not allow the \(family.rawValue) API")
        }
        var context = context
        context.access = access
        return try await next(request, context)
    }
}

extension APIFamily {
    /// The family a route belongs to, from its method and path.
    public static func of(method: HTTPRequest.Method, path: String) -> APIFamily {
        if path == "/metrics" { return .admin }
        guard path.hasPrefix("/api/") else { return .open }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).dropFirst(2)  // after api/v1
        guard let first = parts.first else { return .tasks }
        switch first {
        case "openapi.json": return .open
        case "publish", "connections", "metrics", "notifications": return .admin
        case "queues": return parts.last == "claim" ? .worker : .tasks
        case "tasks":
            let action = parts.count == 3 ? parts.last : nil
            switch action {
            case "progress", "heartbeat", "complete", "fail": return .worker
            default: return .tasks
            }
        default: return .tasks
        }
    }
}
