import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TaskwireHub
import TaskwireProtocol
import TaskwireQueue
import TaskwireTesting
import Testing

@Suite struct WorkerAPITests {
    @Test func claimTakesHighestPriorityThenOldestAndStartsALease() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let low = try await client.createTask(#"{"name":"low","priority":-1}"#).id
            let first = try await client.createTask(#"{"name":"first","priority":5}"#).id
            let second = try await client.createTask(#"{"name":"second","priority":5}"#).id
            _ = try await client.createTask(#"{"name":"elsewhere","queue":"other","priority":9}"#)
            let task = try await client.claim(worker: "w-1", leaseSeconds: 60)
            #expect(task.id == first)
            #expect(task.string("status") == "running")
            #expect(task.int("attempts") == 1)
            #expect(task.string("worker_id") == "w-1")
            #expect(task.string("lease_expires_at") == (fixture.clock.now() + .seconds(60)).rfc3339)
            #expect(try await client.claim().id == second)
            #expect(try await client.claim().id == low)
            let none = try await client.post("/api/v1/queues/default/claim", #"{"worker_id":"w"}"#)
            #expect(none.status == .noContent)
            #expect(none.body.readableBytes == 0)
        }
    }

    @Test func claimWithoutLeaseSecondsHoldsThirtySeconds() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            _ = try await client.createTask()
            let response = try await client.post("/api/v1/queues/default/claim", #"{"worker_id":"w"}"#)
            #expect(response.json.string("lease_expires_at") == (fixture.clock.now() + .seconds(30)).rfc3339)
        }
    }

    @Test func claimOnAnEmptyOrUnknownQueueIs204() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let response = try await client.post("/api/v1/queues/never-used/claim", #"{"worker_id":"w"}"#)
            #expect(response.status == .noContent)
        }
    }

    @Test(arguments: [
        (#"{"worker_id":"w","lease_seconds":0}"#, "'lease_seconds' must be an integer between 1 and 3600"),
        (#"{"worker_id":"w","lease_seconds":3601}"#, "'lease_seconds' must be an integer between 1 and 3600"),
        (#"{"worker_id":"w","lease_seconds":"30"}"#, "'lease_seconds' must be an integer, not string"),
        (#"{"worker_id":"w","lease_seconds":0.5}"#, "'lease_seconds' must be an integer"),
        (#"{"lease_seconds":30}"#, "'worker_id' is missing"),
        (#"{"worker_id":42}"#, "'worker_id' must be a string, not number"),
        (#"{"worker_id":""}"#, "'worker_id' must not be empty"),
        ("not json", "not a JSON object"),
    ])
    func badClaimsAre400(body: String, mentions: String) async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            _ = try await client.createTask()
            expectError(try await client.post("/api/v1/queues/default/claim", body), .badRequest, code: "bad_request", mentions: mentions)
            expectError(
                try await client.post("/api/v1/queues/default/claim", #"{"worker_id":"\#(String(repeating: "w", count: 129))"}"#),
                .badRequest,
                code: "bad_request",
                mentions: "'worker_id' is longer than 128 characters"
            )
            expectError(
                try await client.post("/api/v1/queues/a:b/claim", #"{"worker_id":"w"}"#),
                .badRequest,
                code: "bad_request",
                mentions: "path parameter 'queue'"
            )
        }
        #expect(try await fixture.service.counts().all.pending == 1)
    }

    @Test func progressHeartbeatAndCompleteByTheHolder() async throws {
        let fixture = TaskAPIFixture()
        let events = try fixture.connect(subscriptions: ["task_updated", "task_completed"])
        try await fixture.test { client in
            let id = try await client.createTask().id
            _ = try await client.claim(worker: "w", leaseSeconds: 10)
            let progressed = try await client.post("/api/v1/tasks/\(id)/progress", #"{"worker_id":"w","progress":0.25,"message":"a quarter"}"#)
            #expect(progressed.status == .ok)
            #expect(progressed.json["progress"] == .number("0.25"))
            #expect(progressed.json.string("message") == "a quarter")
            let messageOnly = try await client.post("/api/v1/tasks/\(id)/progress", #"{"worker_id":"w","message":"still going"}"#)
            #expect(messageOnly.json["progress"] == .number("0.25"))

            fixture.clock.advance(by: .seconds(5))
            let renewed = try await client.post("/api/v1/tasks/\(id)/heartbeat", #"{"worker_id":"w","lease_seconds":100}"#)
            #expect(renewed.status == .ok)
            #expect(renewed.json.string("lease_expires_at") == (fixture.clock.now() + .seconds(100)).rfc3339)

            let result = #"{"thumbnails": [1, 2.0e0], "note": "\u00e9"}"#
            let completed = try await client.post("/api/v1/tasks/\(id)/complete", #"{"worker_id":"w","result":\#(result)}"#)
            #expect(completed.status == .ok)
            #expect(String(buffer: completed.body).contains(#""result":\#(result),"#))
            #expect(completed.json.string("status") == "completed")
            #expect(completed.json["progress"] == .number("1"))
            #expect(completed.json["lease_expires_at"] == .null)
            expectError(
                try await client.post("/api/v1/tasks/\(id)/complete", #"{"worker_id":"w"}"#),
                .conflict,
                code: "conflict",
                mentions: "completed, not running"
            )
        }
        let streams = events.parsedMessages.compactMap { $0.string("event_type") }
        #expect(streams == ["task_updated", "task_updated", "task_updated", "task_completed"])
    }

    @Test(arguments: [
        (#"{"worker_id":"w","progress":1.5}"#, "'progress' must be between 0 and 1"),
        (#"{"worker_id":"w","progress":-0.1}"#, "'progress' must be between 0 and 1"),
        (#"{"worker_id":"w","progress":"half"}"#, "'progress' must be a number, not string"),
        (#"{"worker_id":"w","message":5}"#, "'message' must be a string, not number"),
        (#"{"progress":0.5}"#, "'worker_id' is missing"),
    ])
    func badProgressIs400(body: String, mentions: String) async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let id = try await client.createTask().id
            _ = try await client.claim(worker: "w")
            expectError(try await client.post("/api/v1/tasks/\(id)/progress", body), .badRequest, code: "bad_request", mentions: mentions)
        }
    }

    @Test func failRetriesWhileAttemptsRemainThenFails() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let id = try await client.createTask(#"{"name":"flaky","max_attempts":2}"#).id
            _ = try await client.claim(worker: "w")
            let retried = try await client.post("/api/v1/tasks/\(id)/fail", #"{"worker_id":"w","error":"boom"}"#)
            #expect(retried.json.string("status") == "pending")
            #expect(retried.json.string("error") == "boom")
            #expect(retried.json["worker_id"] == .null)
            _ = try await client.claim(worker: "w2")
            let failed = try await client.post("/api/v1/tasks/\(id)/fail", #"{"worker_id":"w2","error":"again","retry":true}"#)
            #expect(failed.json.string("status") == "failed")
            #expect(failed.json.int("attempts") == 2)
        }
    }

    @Test func failWithoutRetryFailsAtOnce() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let id = try await client.createTask().id
            _ = try await client.claim(worker: "w")
            let failed = try await client.post("/api/v1/tasks/\(id)/fail", #"{"worker_id":"w","error":"fatal","retry":false}"#)
            #expect(failed.json.string("status") == "failed")
        }
    }

    @Test(arguments: [
        (#"{"worker_id":"w","error":"e","retry":"yes"}"#, "'retry' must be a boolean, not string"),
        (#"{"worker_id":"w","error":"e","retry":1}"#, "'retry' must be a boolean, not number"),
        (#"{"worker_id":"w"}"#, "'error' is missing"),
        (#"{"worker_id":"w","error":false}"#, "'error' must be a string, not boolean"),
    ])
    func badFailIs400(body: String, mentions: String) async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let id = try await client.createTask().id
            _ = try await client.claim(worker: "w")
            expectError(try await client.post("/api/v1/tasks/\(id)/fail", body), .badRequest, code: "bad_request", mentions: mentions)
        }
    }

    @Test func resultOverTheQueueLimitIs413NamingTheResult() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let id = try await client.createTask().id
            _ = try await client.claim(worker: "w")
            let big = "[" + Array(repeating: "1", count: TaskAPIFixture.maxPayloadSize).joined(separator: ",") + "]"
            expectError(
                try await client.post("/api/v1/tasks/\(id)/complete", #"{"worker_id":"w","result":\#(big)}"#),
                .contentTooLarge,
                code: "payload_too_large",
                mentions: "field 'result'"
            )
        }
    }

    @Test(arguments: ["progress", "heartbeat", "complete", "fail"])
    func workerCallsByAnotherWorkerOrOnAPendingTaskAre409(action: String) async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let pending = try await client.createTask(#"{"name":"later","queue":"q2"}"#).id
            let id = try await client.createTask().id
            _ = try await client.claim(worker: "owner")
            let body = #"{"worker_id":"intruder","error":"x"}"#
            expectError(try await client.post("/api/v1/tasks/\(id)/\(action)", body), .conflict, code: "conflict", mentions: "another worker")
            expectError(try await client.post("/api/v1/tasks/\(pending)/\(action)", body), .conflict, code: "conflict", mentions: "not running")
            expectError(try await client.post("/api/v1/tasks/unknown-id/\(action)", body), .notFound, code: "not_found")
            expectError(try await client.post("/api/v1/tasks/bad%20id/\(action)", body), .notFound, code: "not_found")
        }
    }

    @Test(arguments: ["progress", "heartbeat", "complete", "fail"])
    func workerCallsAfterTheLeaseExpiredAre409(action: String) async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let id = try await client.createTask().id
            _ = try await client.claim(worker: "w", leaseSeconds: 1)
            fixture.clock.advance(by: .milliseconds(1001))
            expectError(
                try await client.post("/api/v1/tasks/\(id)/\(action)", #"{"worker_id":"w","error":"late"}"#),
                .conflict,
                code: "conflict",
                mentions: "lease on task"
            )
        }
    }

    @Test func anExpiredLeaseMakesTheTaskPendingAgainThenFailed() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let id = try await client.createTask(#"{"name":"n","max_attempts":2}"#).id
            _ = try await client.claim(worker: "w", leaseSeconds: 1)
            fixture.clock.advance(by: .seconds(2))
            #expect(try await fixture.service.expireLeases().map(\.id) == [id])
            let requeued = try await client.get("/api/v1/tasks/\(id)")
            #expect(requeued.json.string("status") == "pending")
            #expect(requeued.json.string("message") == "lease expired")
            _ = try await client.claim(worker: "w", leaseSeconds: 1)
            fixture.clock.advance(by: .seconds(2))
            _ = try await fixture.service.expireLeases()
            #expect(try await client.get("/api/v1/tasks/\(id)").json.string("status") == "failed")
        }
    }
}
