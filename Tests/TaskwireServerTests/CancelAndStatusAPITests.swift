import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TaskwireHub
import TaskwireProtocol
import TaskwireQueue
import TaskwireTesting
import Testing

@Suite struct CancelAndStatusAPITests {
    @Test func cancelPendingThenAgainIs409() async throws {
        let fixture = TaskAPIFixture()
        let updates = try fixture.connect(subscriptions: ["task_updated"])
        try await fixture.test { client in
            let id = try await client.createTask().id
            let cancelled = try await client.post("/api/v1/tasks/\(id)/cancel", "")
            #expect(cancelled.status == .ok)
            #expect(cancelled.json.string("status") == "cancelled")
            expectError(
                try await client.post("/api/v1/tasks/\(id)/cancel", ""),
                .conflict,
                code: "conflict",
                mentions: "cancelled and can no longer be cancelled"
            )
        }
        #expect(updates.parsedMessages.map { $0.string("status") } == ["cancelled"])
    }

    @Test func cancelRunningEndsTheLeaseAndFinishedIs409() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let running = try await client.createTask().id
            _ = try await client.claim(worker: "w")
            let cancelled = try await client.post("/api/v1/tasks/\(running)/cancel", "")
            #expect(cancelled.json.string("status") == "cancelled")
            #expect(cancelled.json["lease_expires_at"] == .null)
            expectError(try await client.post("/api/v1/tasks/\(running)/progress", #"{"worker_id":"w"}"#), .conflict, code: "conflict")

            let done = try await client.createTask().id
            _ = try await client.claim(worker: "w")
            _ = try await client.post("/api/v1/tasks/\(done)/complete", #"{"worker_id":"w"}"#)
            expectError(try await client.post("/api/v1/tasks/\(done)/cancel", ""), .conflict, code: "conflict", mentions: "completed")
        }
    }

    @Test func cancelUnknownOrMalformedIsNotFound() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            expectError(try await client.post("/api/v1/tasks/nope/cancel", ""), .notFound, code: "not_found")
            expectError(try await client.post("/api/v1/tasks/%2F%2F/cancel", ""), .notFound, code: "not_found")
        }
    }

    @Test func retryPutsAFailedOrCancelledTaskBackAndOtherwiseIs409() async throws {
        let fixture = TaskAPIFixture()
        let updates = try fixture.connect(subscriptions: ["task_updated"])
        try await fixture.test { client in
            let failed = try await client.createTask(#"{"name":"f","max_attempts":1}"#).id
            _ = try await client.claim(worker: "w")
            _ = try await client.post("/api/v1/tasks/\(failed)/fail", #"{"worker_id":"w","error":"boom"}"#)
            let cancelled = try await client.createTask().id
            _ = try await client.post("/api/v1/tasks/\(cancelled)/cancel", "")
            _ = updates.take()

            for id in [failed, cancelled] {
                let retried = try await client.post("/api/v1/tasks/\(id)/retry", "")
                #expect(retried.status == .ok, "\(String(buffer: retried.body))")
                let task = retried.json
                #expect(task.string("status") == "pending" && task.int("attempts") == 0)
                #expect(task["error"] == .null && task["worker_id"] == .null && task["lease_expires_at"] == .null)
                expectError(try await client.post("/api/v1/tasks/\(id)/retry", ""), .conflict, code: "conflict", mentions: "pending")
            }
            #expect(updates.parsedMessages.map { $0.string("status") } == ["pending", "pending"])
            #expect(try await client.claim(worker: "w2").id == failed, "retried, the older task is claimed first")
        }
    }

    @Test func retryUnknownOrMalformedIsNotFound() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            expectError(try await client.post("/api/v1/tasks/nope/retry", ""), .notFound, code: "not_found")
            expectError(try await client.post("/api/v1/tasks/%2F%2F/retry", ""), .notFound, code: "not_found")
        }
    }

    @Test func queueStatusCountsOverAllQueuesAndPerQueue() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            #expect(
                String(buffer: try await client.get("/api/v1/queue/status").body)
                    == #"{"total_tasks":0,"pending_tasks":0,"running_tasks":0,"completed_tasks":0,"failed_tasks":0,"cancelled_tasks":0,"queues":{}}"#
            )
            for _ in 0..<3 { _ = try await client.createTask(#"{"name":"a","queue":"alpha"}"#) }
            let cancel = try await client.createTask(#"{"name":"b","queue":"beta"}"#).id
            _ = try await client.createTask(#"{"name":"b","queue":"beta"}"#)
            _ = try await client.post("/api/v1/tasks/\(cancel)/cancel", "")
            let claimed = try await client.claim(queue: "alpha", worker: "w").id
            _ = try await client.post("/api/v1/tasks/\(claimed)/complete", #"{"worker_id":"w"}"#)
            _ = try await client.claim(queue: "alpha", worker: "w")

            let status = try await client.get("/api/v1/queue/status")
            #expect(status.status == .ok)
            let json = status.json
            #expect(json.int("total_tasks") == 5)
            #expect(json.int("pending_tasks") == 2)
            #expect(json.int("running_tasks") == 1)
            #expect(json.int("completed_tasks") == 1)
            #expect(json.int("failed_tasks") == 0)
            #expect(json.int("cancelled_tasks") == 1)
            let alpha = json["queues"]?["alpha"]
            #expect(alpha?.int("total_tasks") == 3)
            #expect(alpha?.int("pending_tasks") == 1)
            #expect(alpha?.int("running_tasks") == 1)
            #expect(alpha?.int("completed_tasks") == 1)
            let beta = json["queues"]?["beta"]
            #expect(beta?.int("pending_tasks") == 1)
            #expect(beta?.int("cancelled_tasks") == 1)
            guard case .object(let queues)? = json["queues"] else {
                Issue.record("no queues")
                return
            }
            #expect(Set(queues.keys) == ["alpha", "beta"])
        }
    }

    @Test func notificationIsAcceptedAndDelivered() async throws {
        let fixture = TaskAPIFixture()
        let system = try fixture.connect(subscriptions: ["system_notification"])
        let alice = try fixture.connect(userID: "alice", subscriptions: ["user_notification"])
        let bob = try fixture.connect(userID: "bob", subscriptions: ["user_notification"])
        try await fixture.test { client in
            let response = try await client.post("/api/v1/notifications", #"{"level":"warning","title":"Disk","message":"90% full"}"#)
            #expect(response.status == .accepted)
            #expect(response.body.readableBytes == 0)
            let addressed = try await client.post("/api/v1/notifications", #"{"title":"Hi","user_id":"alice"}"#)
            #expect(addressed.status == .accepted)
        }
        let broadcast = system.parsedMessages
        #expect(broadcast.count == 1)
        #expect(broadcast.first?.string("type") == "notification")
        #expect(broadcast.first?.string("level") == "warning")
        #expect(broadcast.first?.string("title") == "Disk")
        #expect(broadcast.first?.string("message") == "90% full")
        #expect(broadcast.first?.string("timestamp") == fixture.clock.now().rfc3339)
        #expect(alice.parsedMessages.map { $0.string("title") } == ["Hi"])
        #expect(alice.parsedMessages.first?.string("level") == "info")
        #expect(alice.parsedMessages.first?.string("message") == "")
        #expect(bob.parsedMessages.isEmpty)
    }

    @Test(arguments: [
        (#"{"level":"info"}"#, "'title' is missing"),
        (#"{"title":""}"#, "'title' must not be empty"),
        (#"{"title":"t","level":"debug"}"#, "'level' must be one of info, warning, error, success"),
        (#"{"title":"t","level":1}"#, "'level' must be a string, not number"),
        (#"{"title":"t","message":{}}"#, "'message' must be a string, not object"),
        (#"{"title":"t","user_id":7}"#, "'user_id' must be a string, not number"),
        (#"{"title":"t","user_id":""}"#, "'user_id' must not be empty"),
        ("[]", "not a JSON object"),
    ])
    func badNotificationsAre400(body: String, mentions: String) async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            expectError(try await client.post("/api/v1/notifications", body), .badRequest, code: "bad_request", mentions: mentions)
        }
    }

    @Test(arguments: [
        ("/api/v1/tasks", HTTPRequest.Method.delete),
        ("/api/v1/tasks/x", .post),
        ("/api/v1/tasks/x/cancel", .get),
        ("/api/v1/queues/q/claim", .get),
        ("/api/v1/tasks/x/fail", .put),
        ("/api/v1/queue/status", .post),
        ("/api/v1/notifications", .get),
        ("/api/v1/openapi.json", .trace),
    ])
    func otherMethodsAre405WithAllow(path: String, method: HTTPRequest.Method) async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let response = try await client.execute(uri: path, method: method)
            expectError(response, .methodNotAllowed, code: "method_not_allowed")
            #expect(response.headers[.allow]?.isEmpty == false)
        }
    }
}
