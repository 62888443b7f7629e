import TaskwireHub
import TaskwireProtocol

extension TaskService {
    /// Notification levels.
    public static let notificationLevels: Set<String> = ["info", "warning", "error", "success"]

    /// Sends a notification: to `system_notification` subscribers, or, with a `userID`, only to
    /// that user's `user_notification` subscribers.
    /// - Throws: ``TaskQueueError`` `.invalid` naming the field at fault.
    public func notify(level: String, title: String, message: String, userID: String?) throws(TaskQueueError) {
        guard Self.notificationLevels.contains(level) else {
            throw TaskQueueError(.invalid, "field 'level' must be one of info, warning, error, success")
        }
        try check(text: title, field: "title", max: configuration.maxNameLength, allowEmpty: false)
        try check(text: message, field: "message", max: configuration.maxMessageLength, allowEmpty: true)
        if let userID {
            try check(text: userID, field: "user_id", max: configuration.maxWorkerIDLength, allowEmpty: false)
        }
        guard hub.acceptsPublishes else {
            throw TaskQueueError(.unavailable, "the cluster's event log cannot be reached; the notification was not sent, try again")
        }
        let body = ServerMessage.notificationBody(level: level, title: title, message: message, timestamp: hub.clock.now().rfc3339)
        if let userID {
            hub.publish(body, toUser: userID)
        } else {
            hub.publish(body, to: .systemNotification)
        }
    }
}
