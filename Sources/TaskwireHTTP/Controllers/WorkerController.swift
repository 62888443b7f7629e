import Hummingbird
import Logging
import NIOCore
import TaskwireHub
import TaskwireProtocol
import TaskwireQueue

/// The worker's routes: `POST /api/v1/queues/{queue}/claim` (200 the task, 204 when none is
/// pending) and `POST /api/v1/tasks/{id}/progress|heartbeat|complete|fail` (the task).
///
/// A call with the wrong `worker_id`, on a task that is not running, or after its lease expired
/// is 409; an unknown or malformed id is 404. `lease_seconds` is 1…3600, 30 when absent.
struct WorkerController: Sendable {
    let service: TaskService
    let maxBodySize: Int

    /// The lease when a claim or heartbeat names none, in seconds.
    static let defaultLeaseSeconds = 30

    func addRoutes(to router: some RouterMethods<TaskwireRequestContext>) {
        router.post("queues/{queue}/claim", use: claim)
        router.allowOnly([.post], on: "queues/{queue}/claim")
        router.post("tasks/{id}/progress", use: progress)
        router.allowOnly([.post], on: "tasks/{id}/progress")
        router.post("tasks/{id}/heartbeat", use: heartbeat)
        router.allowOnly([.post], on: "tasks/{id}/heartbeat")
        router.post("tasks/{id}/complete", use: complete)
        router.allowOnly([.post], on: "tasks/{id}/complete")
        router.post("tasks/{id}/fail", use: fail)
        router.allowOnly([.post], on: "tasks/{id}/fail")
    }

    @Sendable func claim(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        let queue = try context.parameters.require("queue")
        guard StreamName.isValidIdentifier(queue) else {
            throw HTTPAPIError(.badRequest, "path parameter 'queue' must be 1 to 64 of A-Z a-z 0-9 _ . -")
        }
        let (workerID, lease) = try Self.lease(try await JSONRequestBody.read(request, limit: maxBodySize))
        guard let task = try await service.claim(queue: queue, workerID: workerID, leaseSeconds: lease) else {
            return Response(status: .noContent)
        }
        context.logger.debug("task claimed", metadata: ["tw.task.id": "\(task.id)", "tw.worker.id": "\(workerID)"])
        return .json(TaskJSON.task(task))
    }

    @Sendable func progress(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let (workerID, progress, message) = try Self.progress(try await JSONRequestBody.read(request, limit: maxBodySize))
        let task = try await service.progress(id: id, workerID: workerID, progress: progress, message: message)
        return .json(TaskJSON.task(task))
    }

    @Sendable func heartbeat(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let (workerID, lease) = try Self.lease(try await JSONRequestBody.read(request, limit: maxBodySize))
        let task = try await service.heartbeat(id: id, workerID: workerID, leaseSeconds: lease)
        return .json(TaskJSON.task(task))
    }

    @Sendable func complete(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONRequestBody.read(request, limit: maxBodySize)
        let (workerID, result) = try Self.completion(body, maxPayloadSize: service.configuration.maxPayloadSize)
        let task = try await service.complete(id: id, workerID: workerID, result: result)
        context.logger.debug("task completed", metadata: ["tw.task.id": "\(task.id)"])
        return .json(TaskJSON.task(task))
    }

    @Sendable func fail(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let (workerID, error, retry) = try Self.failure(try await JSONRequestBody.read(request, limit: maxBodySize))
        let task = try await service.fail(id: id, workerID: workerID, error: error, retry: retry)
        context.logger.debug("task failed", metadata: ["tw.task.id": "\(task.id)", "tw.task.status": "\(task.status.rawValue)"])
        return .json(TaskJSON.task(task))
    }

    // MARK: Bodies (each throws `bad_request` naming the field, or `payload_too_large`)

    /// A claim or heartbeat body: `worker_id`, and `lease_seconds` (30 when absent).
    static func lease(_ body: JSONRequestBody) throws(HTTPAPIError) -> (workerID: String, leaseSeconds: Int) {
        let workerID = try body.requiredString("worker_id")
        return (workerID, try body.integer("lease_seconds", in: QueueConfiguration.leaseSeconds) ?? defaultLeaseSeconds)
    }

    /// A progress body: `worker_id`, `progress` and `message`.
    static func progress(_ body: JSONRequestBody) throws(HTTPAPIError) -> (workerID: String, progress: Double?, message: String?) {
        (try body.requiredString("worker_id"), try body.number("progress"), try body.string("message"))
    }

    /// A complete body: `worker_id` and the `result` text (`null` when absent).
    static func completion(_ body: JSONRequestBody, maxPayloadSize: Int) throws(HTTPAPIError) -> (workerID: String, result: String) {
        (try body.requiredString("worker_id"), try body.rawText("result", limit: maxPayloadSize) ?? "null")
    }

    /// A fail body: `worker_id`, `error`, and `retry` (true when absent).
    static func failure(_ body: JSONRequestBody) throws(HTTPAPIError) -> (workerID: String, error: String, retry: Bool) {
        (try body.requiredString("worker_id"), try body.requiredString("error"), try body.bool("retry") ?? true)
    }
}
