import Hummingbird
import NIOCore
import TaskwireQueue

/// `GET /api/v1/queue/status`: the `queue_status` counts over all queues, and the same per
/// queue in `queues`, an object keyed by queue name.
struct QueueStatusController: Sendable {
    let service: TaskService

    func addRoutes(to router: some RouterMethods<TaskwireRequestContext>) {
        router.get("queue/status", use: status)
        router.allowOnly([.get], on: "queue/status")
    }

    @Sendable func status(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        .json(TaskJSON.counts(try await service.counts()))
    }
}
