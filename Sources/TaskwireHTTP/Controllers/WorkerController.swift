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
        let body = try await JSONRequestBody.read(request, limit: maxBodySize)
        let workerID = try body.requiredString("worker_id")
        let lease = try leaseSeconds(body)
        guard let task = try await service.claim(queue: queue, workerID: workerID, leaseSeconds: lease) else {
            return Response(status: .noContent)
        }
        context.logger.debug("task claimed", metadata: ["tw.task.id": "\(task.id)", "tw.worker.id": "\(workerID)"])
        return .json(TaskJSON.task(task))
    }

    @Sendable func progress(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONRequestBody.read(request, limit: maxBodySize)
        let task = try await service.progress(
            id: id,
            workerID: try body.requiredString("worker_id"),
            progress: try body.number("progress"),
            message: try body.string("message")
        )
        return .json(TaskJSON.task(task))
    }

    @Sendable func heartbeat(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONRequestBody.read(request, limit: maxBodySize)
        let workerID = try body.requiredString("worker_id")
        let task = try await service.heartbeat(id: id, workerID: workerID, leaseSeconds: try leaseSeconds(body))
        return .json(TaskJSON.task(task))
    }

    @Sendable func complete(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONRequestBody.read(request, limit: maxBodySize)
        let workerID = try body.requiredString("worker_id")
        let result = try body.rawText("result", limit: service.configuration.maxPayloadSize) ?? "null"
        let task = try await service.complete(id: id, workerID: workerID, result: result)
        context.logger.debug("task completed", metadata: ["tw.task.id": "\(task.id)"])
        return .json(TaskJSON.task(task))
    }

    @Sendable func fail(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONRequestBody.read(request, limit: maxBodySize)
        let task = try await service.fail(
            id: id,
            workerID: try body.requiredString("worker_id"),
            error: try body.requiredString("error"),
            retry: try body.bool("retry") ?? true
        )
        context.logger.debug("task failed", metadata: ["tw.task.id": "\(task.id)", "tw.task.status": "\(task.status.rawValue)"])
        return .json(TaskJSON.task(task))
    }

    /// `lease_seconds`, 30 when absent.
    private func leaseSeconds(_ body: JSONRequestBody) throws(HTTPAPIError) -> Int {
        try body.integer("lease_seconds", in: QueueConfiguration.leaseSeconds) ?? Self.defaultLeaseSeconds
    }
}
