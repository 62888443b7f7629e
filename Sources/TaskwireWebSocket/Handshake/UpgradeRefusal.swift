import HTTPTypes

/// Why an upgrade request was refused, answered as plain HTTP with the API's JSON error body.
package struct UpgradeRefusal: Error, Sendable {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var headers: HTTPFields = [:]

    static func badRequest(_ message: String) -> UpgradeRefusal {
        UpgradeRefusal(status: .badRequest, code: "bad_request", message: message)
    }

    static func unauthorized(_ message: String) -> UpgradeRefusal {
        UpgradeRefusal(status: .unauthorized, code: "unauthorized", message: message, headers: [.wwwAuthenticate: "Bearer"])
    }

    static func forbidden(_ message: String) -> UpgradeRefusal {
        UpgradeRefusal(status: .forbidden, code: "forbidden", message: message)
    }

    static func unavailable(_ message: String, retryAfterSeconds: Int) -> UpgradeRefusal {
        UpgradeRefusal(
            status: .serviceUnavailable,
            code: "unavailable",
            message: message,
            headers: [.retryAfter: String(retryAfterSeconds)]
        )
    }
}
