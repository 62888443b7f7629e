public import TaskwireProtocol

/// A task, as the HTTP API answers it (`GET /api/v1/tasks/{id}` and every task call).
public struct TaskInfo: Sendable, Hashable {
    /// The task's id.
    public var id: String
    /// The queue it belongs to.
    public var queue: String
    /// What the task is (chosen by its producer).
    public var name: String
    /// The payload, exactly as submitted.
    public var payload: JSONValue
    /// Higher is claimed first.
    public var priority: Int
    /// `pending`, `running`, `completed`, `failed` or `cancelled`.
    public var status: String
    /// The worker's latest progress, 0 to 1.
    public var progress: Double?
    /// The worker's latest message.
    public var message: String?
    /// How many times it was claimed.
    public var attempts: Int
    /// Claims after which a failure is final.
    public var maxAttempts: Int
    /// The worker holding it, while running.
    public var workerID: String?
    /// When the current lease ends, RFC 3339.
    public var leaseExpiresAt: String?
    /// What the worker completed it with (`null` until then).
    public var result: JSONValue
    /// Why the last attempt failed.
    public var error: String?
    /// When it was created, RFC 3339.
    public var createdAt: String
    /// When it last changed, RFC 3339.
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
    /// What the task is.
    public var name: String
    /// The queue (server default: `default`).
    public var queue: String?
    /// Any JSON, handed to the worker unchanged.
    public var payload: JSONValue?
    /// Higher is claimed first (server default: 0).
    public var priority: Int?
    /// Claims after which a failure is final (server default: 3).
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
    /// The connection's id (as in its `welcome`).
    public var clientID: String
    /// The authenticated user, if any.
    public var userID: String?
    /// `connecting`, `connected`, `disconnecting`, `disconnected` or `error`.
    public var state: String
    /// When it connected, RFC 3339.
    public var connectedAt: String
    /// Its subscriptions, sorted.
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
