import Hummingbird
import Logging
import NIOCore
import TaskwireQueue

/// `POST /api/v1/notifications`: `{"level":"info","title":"…","message":"…","user_id":null}` → 202.
///
/// Only `title` is required; `level` is `info` and `message` empty when absent. Without a
/// `user_id` the notification goes to `system_notification`; with one, only to that user's
/// `user_notification` subscribers.
struct NotificationsController: Sendable {
    let service: TaskService
    let maxBodySize: Int

    func addRoutes(to router: some RouterMethods<TaskwireRequestContext>) {
        router.post("notifications", use: notify)
        router.allowOnly([.post], on: "notifications")
    }

    @Sendable func notify(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        let (level, title, message, userID) = try Self.notification(try await JSONRequestBody.read(request, limit: maxBodySize))
        try service.notify(level: level, title: title, message: message, userID: userID)
        context.logger.debug("notification sent", metadata: ["tw.level": "\(level)", "tw.addressed": "\(userID != nil)"])
        return Response(status: .accepted)
    }

    /// The body's fields, defaults applied.
    /// - Throws: `bad_request` naming the field.
    static func notification(_ body: JSONRequestBody) throws(HTTPAPIError) -> (level: String, title: String, message: String, userID: String?) {
        (try body.string("level") ?? "info", try body.requiredString("title"), try body.string("message") ?? "", try body.string("user_id"))
    }
}
