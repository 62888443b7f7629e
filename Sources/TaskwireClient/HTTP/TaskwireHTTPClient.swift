import AsyncHTTPClient
import NIOCore
import NIOHTTP1
public import TaskwireProtocol

/// The task queue's HTTP API (`/api/v1`): submitting and inspecting tasks, the worker calls,
/// queue status, connections, publishing.
///
/// ```swift
/// let api = TaskwireHTTPClient(server: try ServerAddress("http://127.0.0.1:8080"))
/// let task = try await api.createTask(NewTask(name: "resize", payload: .object(["w": .number("640")])))
/// if let claimed = try await api.claim(queue: "default", workerID: "w1") {
///     try await api.complete(taskID: claimed.id, workerID: "w1", result: .string("done"))
/// }
/// ```
///
/// It uses AsyncHTTPClient's shared client (connection pooling, keep-alive, TLS for `https`).
/// Every failed call throws ``TaskwireClientError``: ``TaskwireClientError/Code/http`` with the
/// status and the API's `error.code` for error answers.
public struct TaskwireHTTPClient: Sendable {
    /// The server.
    public var server: ServerAddress
    /// Credentials, sent as `Authorization: Bearer`.
    public var token: String?
    /// How long one call may take.
    public var timeout: Duration

    /// Creates a client of the HTTP API at `server`.
    public init(server: ServerAddress, token: String? = nil, timeout: Duration = .seconds(30)) {
        self.server = server
        self.token = token
        self.timeout = timeout
    }

    // MARK: Producers

    /// Submits a task. - Returns: the task, pending.
    public func createTask(_ task: NewTask) async throws -> TaskInfo {
        try TaskInfo(try await call(.POST, "/api/v1/tasks", body: task.json, expect: [201]))
    }

    /// One task by id.
    public func task(id: String) async throws -> TaskInfo {
        try TaskInfo(try await call(.GET, "/api/v1/tasks/\(id)"))
    }

    /// A page of tasks, newest first. - Returns: the tasks and the cursor of the next page (nil at the end).
    public func listTasks(status: String? = nil, queue: String? = nil, limit: Int? = nil, cursor: String? = nil) async throws -> (tasks: [TaskInfo], nextCursor: String?) {
        var query: [String] = []
        if let status { query.append("status=\(percentEncoded(status))") }
        if let queue { query.append("queue=\(percentEncoded(queue))") }
        if let limit { query.append("limit=\(limit)") }
        if let cursor { query.append("cursor=\(percentEncoded(cursor))") }
        let answer = try await call(.GET, "/api/v1/tasks" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
        var tasks: [TaskInfo] = []
        if case .array(let items)? = answer["tasks"] {
            for item in items { tasks.append(try TaskInfo(item)) }
        }
        return (tasks, answer["next_cursor"]?.stringValue)
    }

    /// Cancels a pending or running task.
    public func cancelTask(id: String) async throws -> TaskInfo {
        try TaskInfo(try await call(.POST, "/api/v1/tasks/\(id)/cancel"))
    }

    // MARK: Workers

    /// Claims the next pending task of `queue` under a lease. - Returns: the task, now running; nil when none is pending.
    public func claim(queue: String, workerID: String, leaseSeconds: Int = 30) async throws -> TaskInfo? {
        let body: JSONValue = .object(["worker_id": .string(workerID), "lease_seconds": .number(String(leaseSeconds))])
        let answer = try await call(.POST, "/api/v1/queues/\(queue)/claim", body: body, expect: [200, 204])
        return answer.isNull ? nil : try TaskInfo(answer)
    }

    /// Reports progress (0…1) and optionally a message on a running task.
    @discardableResult
    public func reportProgress(taskID: String, workerID: String, progress: Double, message: String? = nil) async throws -> TaskInfo {
        var members: [String: JSONValue] = ["worker_id": .string(workerID), "progress": .number(Self.number(progress))]
        if let message { members["message"] = .string(message) }
        return try TaskInfo(try await call(.POST, "/api/v1/tasks/\(taskID)/progress", body: .object(members)))
    }

    /// Renews the lease of a running task.
    @discardableResult
    public func heartbeat(taskID: String, workerID: String, leaseSeconds: Int = 30) async throws -> TaskInfo {
        let body: JSONValue = .object(["worker_id": .string(workerID), "lease_seconds": .number(String(leaseSeconds))])
        return try TaskInfo(try await call(.POST, "/api/v1/tasks/\(taskID)/heartbeat", body: body))
    }

    /// Completes a running task with `result`.
    @discardableResult
    public func complete(taskID: String, workerID: String, result: JSONValue) async throws -> TaskInfo {
        let body: JSONValue = .object(["worker_id": .string(workerID), "result": result])
        return try TaskInfo(try await call(.POST, "/api/v1/tasks/\(taskID)/complete", body: body))
    }

    /// Fails a running task; with `retry` it is pending again while attempts remain.
    @discardableResult
    public func fail(taskID: String, workerID: String, error: String, retry: Bool = true) async throws -> TaskInfo {
        let body: JSONValue = .object(["worker_id": .string(workerID), "error": .string(error), "retry": .bool(retry)])
        return try TaskInfo(try await call(.POST, "/api/v1/tasks/\(taskID)/fail", body: body))
    }

    // MARK: Hub

    /// Task counts by status, overall and per queue.
    public func queueStatus() async throws -> QueueStatus {
        QueueStatus(try await call(.GET, "/api/v1/queue/status"))
    }

    /// The server's WebSocket connections.
    public func connections() async throws -> [ConnectionInfo] {
        guard case .array(let items)? = try await call(.GET, "/api/v1/connections")["connections"] else { return [] }
        return items.map(ConnectionInfo.init)
    }

    /// Closes a WebSocket connection (the server closes it with 1008).
    public func closeConnection(clientID: String) async throws {
        _ = try await call(.DELETE, "/api/v1/connections/\(clientID)", expect: [204])
    }

    /// The hub's metrics (`GET /api/v1/metrics`), as JSON.
    public func metrics() async throws -> JSONValue {
        try await call(.GET, "/api/v1/metrics")
    }

    /// Publishes `data` on a stream through the HTTP API. - Returns: how many connections it reached.
    @discardableResult
    public func publish(_ data: JSONValue, to stream: String) async throws -> Int {
        let answer = try await call(.POST, "/api/v1/publish", body: .object(["event_type": .string(stream), "data": data]))
        return Int(answer["delivered"]?.int64Value ?? 0)
    }

    // MARK: Transport

    /// Sends one request. - Returns: the parsed body, `.null` when empty (204).
    func call(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil, expect: Set<Int> = [200]) async throws -> JSONValue {
        var request = HTTPClientRequest(url: server.httpURL(path))
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            var buffer = ByteBuffer()
            buffer.writeJSONValue(body)
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(buffer)
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .nanoseconds(Int64(timeout.seconds * 1e9)))
            bytes = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw TaskwireClientError(.connectionFailed, "\(method) \(path) on \(server): \(error)")
        }
        let status = Int(response.status.code)
        let parsed = bytes.readableBytes == 0 ? JSONValue.null : try? JSONValue.parse(bytes)
        guard expect.contains(status) else {
            let error = parsed?["error"]
            throw TaskwireClientError(
                .http,
                error?["message"]?.stringValue ?? "\(method) \(path) answered \(status)",
                serverCode: error?["code"]?.stringValue,
                httpStatus: status
            )
        }
        guard let parsed else {
            throw TaskwireClientError(.invalidResponse, "\(method) \(path) answered something that is not JSON")
        }
        return parsed
    }

    /// A number as JSON text.
    static func number(_ value: Double) -> String {
        var buffer = ByteBuffer()
        buffer.writeJSONNumber(value)
        return String(buffer: buffer)
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
private func percentEncoded(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = Array("0123456789ABCDEF")
            out += "%\(hex[Int(byte >> 4)])\(hex[Int(byte & 0xF)])"
        }
    }
    return out
}
