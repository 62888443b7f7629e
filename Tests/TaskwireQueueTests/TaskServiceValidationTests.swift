import Testing
import TaskwireHub
import TaskwireQueue

/// Requests the service refuses before touching the store, each naming the field at fault.
@Suite struct TaskServiceValidationTests {
    /// Runs `body`, expecting a `.invalid` error whose message names `field`.
    func expectInvalid(_ field: String, _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async {
        let error = await #expect(throws: TaskQueueError.self, sourceLocation: sourceLocation) { try await body() }
        #expect(error?.code == .invalid, sourceLocation: sourceLocation)
        #expect(error?.message.contains("'\(field)'") == true, "\(error?.message ?? "-") names \(field)", sourceLocation: sourceLocation)
    }

    @Test func createChecksNameQueuePayloadAndAttempts() async throws {
        let fixture = QueueFixture(configuration: QueueConfiguration(maxPayloadSize: 16, maxNameLength: 8))
        let service = fixture.service
        await expectInvalid("name") { _ = try await service.create(NewTask(name: "123456789")) }
        await expectInvalid("name") { _ = try await service.create(NewTask(name: "")) }
        await expectInvalid("payload") { _ = try await service.create(NewTask(name: "n", payload: #"{"a":"0123456789"}"#)) }
        for queue in ["bad queue", "", String(repeating: "q", count: 65), "a:b", "ünï"] {
            await expectInvalid("queue") { _ = try await service.create(NewTask(queue: queue, name: "n")) }
        }
        for attempts in [0, 101] {
            await expectInvalid("max_attempts") { _ = try await service.create(NewTask(name: "n", maxAttempts: attempts)) }
        }
        #expect(try await fixture.store.counts() == QueueCounts(), "nothing was stored")

        let fits = try await service.create(NewTask(queue: String(repeating: "q", count: 64), name: "12345678", payload: "[1,2,3]"))
        #expect(fits.status == .pending && fits.payload == "[1,2,3]")
    }

    @Test func workerCallsCheckLeaseProgressAndWorkerID() async throws {
        let fixture = QueueFixture()
        let service = fixture.service
        let task = try await service.create(NewTask(name: "n"))
        for seconds in [0, -1, 3601] {
            await expectInvalid("lease_seconds") { _ = try await service.claim(queue: "default", workerID: "w", leaseSeconds: seconds) }
        }
        await expectInvalid("queue") { _ = try await service.claim(queue: "no queue", workerID: "w", leaseSeconds: 30) }
        await expectInvalid("worker_id") { _ = try await service.claim(queue: "default", workerID: "", leaseSeconds: 30) }
        #expect(try await service.task(id: task.id).status == .pending, "refused claims claim nothing")

        _ = try await service.claim(queue: "default", workerID: "w", leaseSeconds: 3600)
        for progress in [-0.1, 1.5, Double.nan, Double.infinity] {
            await expectInvalid("progress") { _ = try await service.progress(id: task.id, workerID: "w", progress: progress, message: nil) }
        }
        for seconds in [0, 3601] {
            await expectInvalid("lease_seconds") { _ = try await service.heartbeat(id: task.id, workerID: "w", leaseSeconds: seconds) }
        }
        let longID = String(repeating: "w", count: 129)
        await expectInvalid("worker_id") { _ = try await service.progress(id: task.id, workerID: longID, progress: 0.5, message: nil) }
        await expectInvalid("message") {
            _ = try await service.progress(id: task.id, workerID: "w", progress: nil, message: String(repeating: "m", count: 4097))
        }
        await expectInvalid("error") {
            _ = try await service.fail(id: task.id, workerID: "w", error: String(repeating: "e", count: 4097), retry: false)
        }
        let big = QueueFixture(configuration: QueueConfiguration(maxPayloadSize: 4))
        let bigTask = try await big.service.create(NewTask(name: "n", payload: "1"))
        _ = try await big.service.claim(queue: "default", workerID: "w", leaseSeconds: 30)
        await expectInvalid("result") { _ = try await big.service.complete(id: bigTask.id, workerID: "w", result: "12345") }

        let edges = try await service.progress(id: task.id, workerID: "w", progress: 0, message: "")
        #expect(edges.progress == 0 && edges.message == "")
        #expect(try await service.progress(id: task.id, workerID: "w", progress: 1, message: nil).progress == 1)
    }

    @Test func listChecksLimitAndQueue() async throws {
        let service = QueueFixture().service
        for limit in [0, 501] {
            await expectInvalid("limit") { _ = try await service.list(TaskListQuery(limit: limit)) }
        }
        await expectInvalid("queue") { _ = try await service.list(TaskListQuery(queue: "a b")) }
        let error = await #expect(throws: TaskQueueError.self) { _ = try await service.list(TaskListQuery(cursor: "nope")) }
        #expect(error?.code == .invalid)
    }
}
