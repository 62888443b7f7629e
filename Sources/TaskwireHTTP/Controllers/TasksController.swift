import Hummingbird
import Logging
import NIOCore
import TaskwireHub
import TaskwireProtocol
import TaskwireQueue

/// The producer's routes: `POST /api/v1/tasks` (201, the task), `GET /api/v1/tasks/{id}`,
/// `GET /api/v1/tasks?status=&queue=&limit=&cursor=`, `POST /api/v1/tasks/{id}/cancel` and
/// `POST /api/v1/tasks/{id}/retry` (a failed or cancelled task, pending again; 409 otherwise).
///
/// An unknown or malformed id is 404. A `payload` larger than the queue's `max_payload_size`
/// is 413 naming the field; a body larger than `maxBodySize` is 413 naming the body.
struct TasksController: Sendable {
    let service: TaskService
    let maxBodySize: Int

    /// Task priorities accepted: the 32-bit range, which every store keeps exactly.
    static let priorities = Int(Int32.min)...Int(Int32.max)

    func addRoutes(to router: some RouterMethods<TaskwireRequestContext>) {
        router.post("tasks", use: create)
        router.get("tasks", use: list)
        router.allowOnly([.get, .post], on: "tasks")
        router.get("tasks/{id}", use: get)
        router.allowOnly([.get], on: "tasks/{id}")
        router.post("tasks/{id}/cancel", use: cancel)
        router.allowOnly([.post], on: "tasks/{id}/cancel")
        router.post("tasks/{id}/retry", use: retry)
        router.allowOnly([.post], on: "tasks/{id}/retry")
        router.get("tasks/{id}/events", use: events)
        router.allowOnly([.get], on: "tasks/{id}/events")
    }

    @Sendable func create(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        let body = try await JSONRequestBody.read(request, limit: maxBodySize)
        let task = try await service.create(try Self.newTask(body, configuration: service.configuration))
        context.logger.debug("task created", metadata: ["tw.task.id": "\(task.id)", "tw.task.queue": "\(task.queue)"])
        return .json(TaskJSON.task(task), status: .created)
    }

    @Sendable func get(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        let task = try await service.task(id: try context.parameters.require("id"))
        return .json(TaskJSON.task(task))
    }

    @Sendable func list(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        let query = try Self.listQuery(request.uri.queryParameters)
        let page: TaskPage
        do {
            page = try await service.list(query)
        } catch let error as TaskQueueError where error.code == .invalid && query.cursor != nil {
            // The parameters were checked above: what is left is a cursor the store did not make.
            throw HTTPAPIError(.badRequest, "query parameter 'cursor' is not valid: \(error.message)")
        }
        return .json(TaskJSON.page(page))
    }

    @Sendable func cancel(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        let task = try await service.cancel(id: try context.parameters.require("id"))
        context.logger.debug("task cancelled", metadata: ["tw.task.id": "\(task.id)"])
        return .json(TaskJSON.task(task))
    }

    @Sendable func retry(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        let task = try await service.retry(id: try context.parameters.require("id"))
        context.logger.debug("task retried", metadata: ["tw.task.id": "\(task.id)"])
        return .json(TaskJSON.task(task))
    }

    /// The task's stored event history: `{"task_id","epoch","events":[…],"next_after"}`, each event
    /// with `seq`, `event_type`, `status`, `progress`, `message`, `at`; `after` (default 0) and
    /// `limit` (1…1000, default 1000) page through it.
    @Sendable func events(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let parameters = request.uri.queryParameters
        var after: UInt64 = 0
        if let text = parameters.get("after"), !text.isEmpty {
            guard let value = UInt64(text) else { throw HTTPAPIError(.badRequest, "query parameter 'after' must be a non-negative integer") }
            after = value
        }
        var limit = 1000
        if let text = parameters.get("limit"), !text.isEmpty {
            guard let value = Int(text), (1...1000).contains(value) else {
                throw HTTPAPIError(.badRequest, "query parameter 'limit' must be an integer between 1 and 1000")
            }
            limit = value
        }
        let events = try await service.events(id: id, after: after, limit: limit)
        return .json(TaskJSON.events(taskID: id, epoch: service.store.eventEpoch, events: events, limit: limit))
    }

    /// The task a create body asks for.
    /// - Throws: `bad_request` naming the field; `payload_too_large` for a `payload` over the queue's limit.
    static func newTask(_ body: JSONRequestBody, configuration: QueueConfiguration) throws(HTTPAPIError) -> NewTask {
        NewTask(
            queue: try body.string("queue") ?? "default",
            name: try body.requiredString("name"),
            payload: try body.rawText("payload", limit: configuration.maxPayloadSize) ?? "null",
            priority: try body.integer("priority", in: Self.priorities) ?? 0,
            maxAttempts: try body.integer("max_attempts", in: 1...configuration.maxAttemptsLimit) ?? 3
        )
    }

    /// The list query from `status`, `queue`, `limit` and `cursor`; an empty value counts as
    /// absent and other parameters are ignored.
    /// - Throws: `bad_request` naming the parameter when a value is not allowed.
    static func listQuery(_ parameters: Parameters) throws(HTTPAPIError) -> TaskListQuery {
        func value(_ name: String) -> String? {
            guard let value = parameters.get(name), !value.isEmpty else { return nil }
            return value
        }
        var query = TaskListQuery()
        if let status = value("status") {
            guard let parsed = TaskStatus(rawValue: status) else {
                throw HTTPAPIError(
                    .badRequest,
                    "query parameter 'status' must be one of pending, running, completed, failed, cancelled"
                )
            }
            query.status = parsed
        }
        if let queue = value("queue") {
            guard StreamName.isValidIdentifier(queue) else {
                throw HTTPAPIError(.badRequest, "query parameter 'queue' must be 1 to 64 of A-Z a-z 0-9 _ . -")
            }
            query.queue = queue
        }
        if let limit = value("limit") {
            guard let parsed = Int(limit), (1...500).contains(parsed) else {
                throw HTTPAPIError(.badRequest, "query parameter 'limit' must be an integer between 1 and 500")
            }
            query.limit = parsed
        }
        query.cursor = value("cursor")
        return query
    }
}
