/// A validated stream (event type) name.
///
/// Any name matching `[A-Za-z0-9_.:-]{1,128}` is a stream. The well-known streams and the scoped
/// `task:<id>` and `queue:<name>` streams are written by the server alone; every other name is a
/// custom stream that clients may publish on.
public struct StreamName: Sendable, Hashable, CustomStringConvertible {
    /// The name as sent on the wire.
    public let rawValue: String
    /// What kind of stream this is.
    public let kind: Kind

    /// The kinds of stream.
    public enum Kind: Sendable, Hashable {
        /// One of the seven well-known streams.
        case wellKnown
        /// `task:<task_id>`: every event of one task.
        case task(id: String)
        /// `queue:<queue_name>`: every task event of one queue.
        case queue(name: String)
        /// Any other valid name.
        case custom
    }

    /// The well-known streams, written by the server.
    public static let wellKnownNames: Set<String> = [
        "task_created", "task_updated", "task_completed", "task_failed",
        "queue_status_changed", "system_notification", "user_notification",
    ]

    public static let taskCreated = StreamName(trusted: "task_created", kind: .wellKnown)
    public static let taskUpdated = StreamName(trusted: "task_updated", kind: .wellKnown)
    public static let taskCompleted = StreamName(trusted: "task_completed", kind: .wellKnown)
    public static let taskFailed = StreamName(trusted: "task_failed", kind: .wellKnown)
    public static let queueStatusChanged = StreamName(trusted: "queue_status_changed", kind: .wellKnown)
    public static let systemNotification = StreamName(trusted: "system_notification", kind: .wellKnown)
    public static let userNotification = StreamName(trusted: "user_notification", kind: .wellKnown)

    private init(trusted rawValue: String, kind: Kind) {
        self.rawValue = rawValue
        self.kind = kind
    }

    /// Validates a stream name.
    ///
    /// - Throws: ``TaskwireError`` with code `invalid_event_type` naming what is wrong.
    public init(validating rawValue: String) throws(TaskwireError) {
        guard Self.isValid(rawValue, maxLength: 128, allowColon: true) else {
            throw TaskwireError(
                .invalidEventType,
                "invalid stream name \(Self.quoted(rawValue)): use 1 to 128 of the characters A-Z a-z 0-9 _ . : -"
            )
        }
        if Self.wellKnownNames.contains(rawValue) {
            self.init(trusted: rawValue, kind: .wellKnown)
        } else if rawValue.hasPrefix("task:") {
            let id = String(rawValue.dropFirst(5))
            guard Self.isValidIdentifier(id) else {
                throw TaskwireError(.invalidEventType, "invalid stream name \(Self.quoted(rawValue)): a task id is 1 to 64 of A-Z a-z 0-9 _ . -")
            }
            self.init(trusted: rawValue, kind: .task(id: id))
        } else if rawValue.hasPrefix("queue:") {
            let name = String(rawValue.dropFirst(6))
            guard Self.isValidIdentifier(name) else {
                throw TaskwireError(.invalidEventType, "invalid stream name \(Self.quoted(rawValue)): a queue name is 1 to 64 of A-Z a-z 0-9 _ . -")
            }
            self.init(trusted: rawValue, kind: .queue(name: name))
        } else {
            self.init(trusted: rawValue, kind: .custom)
        }
    }

    /// The stream of one task's events.
    public static func task(_ id: String) -> StreamName { StreamName(trusted: "task:" + id, kind: .task(id: id)) }
    /// The stream of one queue's task events.
    public static func queue(_ name: String) -> StreamName { StreamName(trusted: "queue:" + name, kind: .queue(name: name)) }

    /// The HTTP resource (a path) that holds the current state behind this stream, for a client
    /// that missed too much of it to recover: nil for custom and notification streams, whose
    /// events are not kept.
    public var snapshotPath: String? {
        switch kind {
        case .task(let id): return "/api/v1/tasks/" + id
        case .queue(let name): return "/api/v1/tasks?queue=" + name
        case .custom: return nil
        case .wellKnown:
            switch rawValue {
            case "task_created", "task_updated", "task_completed", "task_failed": return "/api/v1/tasks"
            case "queue_status_changed": return "/api/v1/queue/status"
            default: return nil
            }
        }
    }

    /// Whether clients may publish on this stream (custom streams only).
    public var isClientPublishable: Bool { kind == .custom }

    /// Whether a task id or queue name is valid: `[A-Za-z0-9_.-]{1,64}`.
    public static func isValidIdentifier(_ s: String) -> Bool {
        isValid(s, maxLength: 64, allowColon: false)
    }

    public var description: String { rawValue }

    private static func isValid(_ s: String, maxLength: Int, allowColon: Bool) -> Bool {
        let utf8 = s.utf8
        guard !utf8.isEmpty, utf8.count <= maxLength else { return false }
        for b in utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
                continue
            case UInt8(ascii: ":") where allowColon:
                continue
            default:
                return false
            }
        }
        return true
    }

    private static func quoted(_ s: String) -> String {
        let shown = s.count > 40 ? String(s.prefix(40)) + "…" : s
        return "\"\(shown)\""
    }
}
