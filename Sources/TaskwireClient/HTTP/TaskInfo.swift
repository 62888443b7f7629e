public import TaskwireProtocol

/// A task, as the HTTP API answers it (`GET /api/v1/tasks/{id}` and every task call).
public struct TaskInfo: Sendable, Hashable {
    public var id: String
    public var queue: String
    public var name: String
    /// The payload, exactly as submitted.
    public var payload: JSONValue
    public var priority: Int
    /// `pending`, `running`, `completed`, `failed` or `cancelled`.
    public var status: String
    public var progress: Double?
    public var message: String?
    public var attempts: Int
    public var maxAttempts: Int
    public var workerID: String?
    /// When the current lease ends, RFC 3339.
    public var leaseExpiresAt: String?
    public var result: JSONValue
    public var error: String?
    public var createdAt: String
    public var updatedAt: String
    /// The whole object as the server sent it.
    public var raw: JSONValue

    /// Reads a task object. - Throws: ``TaskwireClientError`` with ``TaskwireClientError/Code/invalidResponse`` when it has no `id`.
    init(_ value: JSONValue) throws(TaskwireClientError) {
        guard let id = value["id"]?.stringValue else {
            throw TaskwireClientError(.invalidResponse, "expected a task object, got \(value.jsonText.prefix(200))")
        }
        self.id = id
        queue = value["queue"]?.stringValue ?? ""
        name = value["name"]?.stringValue ?? ""
        payload = value["payload"] ?? .null
        priority = Int(value["priority"]?.int64Value ?? 0)
        status = value["status"]?.stringValue ?? ""
        progress = value["progress"]?.doubleValue
        message = value["message"]?.stringValue
        attempts = Int(value["attempts"]?.int64Value ?? 0)
        maxAttempts = Int(value["max_attempts"]?.int64Value ?? 0)
        workerID = value["worker_id"]?.stringValue
        leaseExpiresAt = value["lease_expires_at"]?.stringValue
        result = value["result"] ?? .null
        error = value["error"]?.stringValue
        createdAt = value["created_at"]?.stringValue ?? ""
        updatedAt = value["updated_at"]?.stringValue ?? ""
        raw = value
    }
}

/// A task to submit (`POST /api/v1/tasks`); fields left nil take the server's defaults.
public struct NewTask: Sendable, Hashable {
    public var name: String
    public var queue: String?
    public var payload: JSONValue?
    public var priority: Int?
    public var maxAttempts: Int?

    /// Creates a task description.
    public init(name: String, queue: String? = nil, payload: JSONValue? = nil, priority: Int? = nil, maxAttempts: Int? = nil) {
        self.name = name
        self.queue = queue
        self.payload = payload
        self.priority = priority
        self.maxAttempts = maxAttempts
    }

    /// Reads a task description from a JSON object with `name` and optionally `queue`,
    /// `payload`, `priority`, `max_attempts` (the request body of `POST /api/v1/tasks`).
    ///
    /// - Throws: ``TaskwireClientError`` with ``TaskwireClientError/Code/invalidArgument`` naming the bad field.
    public init(json value: JSONValue) throws(TaskwireClientError) {
        guard case .object(let members) = value else {
            throw TaskwireClientError(.invalidArgument, "a task must be a JSON object, not \(value.typeName)")
        }
        guard let name = members["name"]?.stringValue else {
            throw TaskwireClientError(.invalidArgument, "field 'name' is missing or not a string")
        }
        func int(_ key: String) throws(TaskwireClientError) -> Int? {
            guard let member = members[key], !member.isNull else { return nil }
            guard let number = member.int64Value else { throw TaskwireClientError(.invalidArgument, "field '\(key)' must be an integer") }
            return Int(number)
        }
        var queue: String?
        if let member = members["queue"], !member.isNull {
            guard let text = member.stringValue else { throw TaskwireClientError(.invalidArgument, "field 'queue' must be a string") }
            queue = text
        }
        self.init(name: name, queue: queue, payload: members["payload"], priority: try int("priority"), maxAttempts: try int("max_attempts"))
    }

    /// The request body.
    var json: JSONValue {
        var members: [String: JSONValue] = ["name": .string(name)]
        if let queue { members["queue"] = .string(queue) }
        if let payload { members["payload"] = payload }
        if let priority { members["priority"] = .number(String(priority)) }
        if let maxAttempts { members["max_attempts"] = .number(String(maxAttempts)) }
        return .object(members)
    }
}

/// Counts of tasks by status, overall and per queue (`GET /api/v1/queue/status`).
public struct QueueStatus: Sendable, Hashable {
    /// Over all queues.
    public var overall: QueueCounts
    /// Per queue, by name.
    public var queues: [String: QueueCounts]
    /// The whole answer as the server sent it.
    public var raw: JSONValue

    init(_ value: JSONValue) {
        raw = value
        overall = QueueCounts(fields: value)
        var queues: [String: QueueCounts] = [:]
        if case .object(let members)? = value["queues"] {
            for (name, counts) in members { queues[name] = QueueCounts(fields: counts) }
        }
        self.queues = queues
    }
}

/// One WebSocket connection, as `GET /api/v1/connections` lists it.
public struct ConnectionInfo: Sendable, Hashable {
    public var clientID: String
    public var userID: String?
    public var state: String
    public var connectedAt: String
    public var subscriptions: [String]
    /// The whole object as the server sent it.
    public var raw: JSONValue

    init(_ value: JSONValue) {
        raw = value
        clientID = value["client_id"]?.stringValue ?? ""
        userID = value["user_id"]?.stringValue
        state = value["state"]?.stringValue ?? ""
        connectedAt = value["connected_at"]?.stringValue ?? ""
        if case .array(let items)? = value["subscriptions"] {
            subscriptions = items.compactMap(\.stringValue)
        } else {
            subscriptions = []
        }
    }
}
