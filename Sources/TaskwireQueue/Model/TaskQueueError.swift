/// Why a task operation was refused.
public struct TaskQueueError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of refusal, mapped to an HTTP status by the API.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String { case notFound = "not_found", conflict, invalid = "bad_request", unavailable }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// No such task (404).
        public static let notFound = Code(.notFound)
        /// The task is not in a state that allows it, or the worker does not hold it (409).
        public static let conflict = Code(.conflict)
        /// A value is out of range (400).
        public static let invalid = Code(.invalid)
        /// The store cannot be reached (503).
        public static let unavailable = Code(.unavailable)

        public var description: String { value.rawValue }
    }

    public var code: Code
    /// Names the task or field, and the reason.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    static func notFound(_ id: String) -> TaskQueueError {
        TaskQueueError(.notFound, "no task with id \"\(id)\"")
    }
}
