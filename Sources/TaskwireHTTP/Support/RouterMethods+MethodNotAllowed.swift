import HTTPTypes
import Hummingbird

extension RouterMethods {
    /// Answers every method but `allowed` on `path` with `405 Method Not Allowed` and an `Allow`
    /// header (Hummingbird alone answers 404 there). `HEAD` counts as allowed where `GET` is.
    @discardableResult
    func allowOnly(_ allowed: [HTTPRequest.Method], on path: RouterPath) -> Self {
        var allowedSet = Set(allowed)
        if allowedSet.contains(.get) { allowedSet.insert(.head) }
        let allowHeader = Self.standardMethods.filter { allowedSet.contains($0) }.map(\.rawValue).joined(separator: ", ")
        for method in Self.standardMethods where !allowedSet.contains(method) {
            on(path, method: method) { request, _ -> Response in
                throw HTTPAPIError(
                    .methodNotAllowed,
                    "\(request.method.rawValue) is not allowed on \(request.uri.path); allowed: \(allowHeader)",
                    headers: [.allow: allowHeader]
                )
            }
        }
        return self
    }

    private static var standardMethods: [HTTPRequest.Method] {
        [.get, .head, .post, .put, .patch, .delete, .options, .trace] + [HTTPRequest.Method("QUERY")].compactMap { $0 }
    }
}
