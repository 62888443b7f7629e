import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TaskwireProtocol
import Testing

/// `GET /api/v1/tasks/{id}/events`: a task's stored history, paged.
@Suite struct TaskEventsAPITests {
    @Test func theHistoryListsEveryEventInOrderAndPages() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let id = try await client.createTask().id
            _ = try await client.claim(worker: "w")
            _ = try await client.post("/api/v1/tasks/\(id)/progress", #"{"worker_id":"w","progress":0.5,"message":"half"}"#)
            _ = try await client.post("/api/v1/tasks/\(id)/heartbeat", #"{"worker_id":"w"}"#)
            _ = try await client.post("/api/v1/tasks/\(id)/complete", #"{"worker_id":"w","result":1}"#)

            let all = try await client.get("/api/v1/tasks/\(id)/events")
            #expect(all.status == .ok)
            guard case .array(let events)? = all.json["events"] else {
                Issue.record("no events array: \(all.json)")
                return
            }
            #expect(events.map { $0.int("seq") } == [1, 2, 3, 4], "a lease renewal is not an event")
            #expect(events.map { $0.string("event_type") } == ["task_created", "task_updated", "task_updated", "task_completed"])
            #expect(events.map { $0.string("status") } == ["pending", "running", "running", "completed"])
            #expect(events[2].string("message") == "half" && events[2]["progress"] == .number("0.5"))
            #expect(events.allSatisfy { $0.string("at") != nil && $0.string("task_id") == id })
            #expect(all.json["next_after"] == .null)
            #expect(all.json.string("epoch")?.isEmpty == false)

            let page = try await client.get("/api/v1/tasks/\(id)/events?after=1&limit=2")
            guard case .array(let paged)? = page.json["events"] else { return }
            #expect(paged.map { $0.int("seq") } == [2, 3])
            #expect(page.json.int("next_after") == 3)

            expectError(try await client.get("/api/v1/tasks/\(id)/events?limit=0"), .badRequest, code: "bad_request", mentions: "limit")
            expectError(try await client.get("/api/v1/tasks/\(id)/events?after=-1"), .badRequest, code: "bad_request", mentions: "after")
            expectError(try await client.get("/api/v1/tasks/nope/events"), .notFound, code: "not_found")
        }
    }
}
