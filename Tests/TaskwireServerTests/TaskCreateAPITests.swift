import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TaskwireHub
import TaskwireProtocol
import TaskwireQueue
import TaskwireTesting
import Testing

@Suite struct TaskCreateAPITests {
    @Test func createAppliesTheDefaultsAndAnswersTheWholeTask() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let response = try await client.post("/api/v1/tasks", #"{"name":"resize"}"#)
            #expect(response.status == .created)
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            let task = response.json
            guard case .object(let fields) = task else {
                Issue.record("not an object")
                return
            }
            #expect(
                Set(fields.keys) == [
                    "id", "queue", "name", "payload", "priority", "status", "progress", "message", "attempts", "max_attempts",
                    "worker_id", "lease_expires_at", "result", "error", "created_at", "updated_at",
                ]
            )
            #expect(task.string("queue") == "default")
            #expect(task.string("name") == "resize")
            #expect(task["payload"] == .null)
            #expect(task.int("priority") == 0)
            #expect(task.string("status") == "pending")
            #expect(task.int("attempts") == 0)
            #expect(task.int("max_attempts") == 3)
            for field in ["progress", "message", "worker_id", "lease_expires_at", "result", "error"] {
                #expect(task[field] == .null, "\(field)")
            }
            let now = fixture.clock.now().rfc3339
            #expect(task.string("created_at") == now)
            #expect(task.string("updated_at") == now)
            #expect(StreamName.isValidIdentifier(task.id))
        }
    }

    @Test func payloadIsKeptAndAnsweredByteForByte() async throws {
        let fixture = TaskAPIFixture()
        let payload = #"[9007199254740993, 1.50e3, "\u00e9", {"b":1,"a":2}, null]"#
        try await fixture.test { client in
            let body = #"{"payload": "# + payload + #" , "name":"n","queue":"images","priority":-7,"max_attempts":1}"#
            let created = try await client.post("/api/v1/tasks", body)
            #expect(String(buffer: created.body).contains(#""payload":"# + payload + #","priority":-7,"#))
            let id = created.json.id
            let read = try await client.get("/api/v1/tasks/\(id)")
            #expect(read.status == .ok)
            #expect(String(buffer: read.body) == String(buffer: created.body))
            #expect(read.json.string("queue") == "images")
            #expect(read.json.int("max_attempts") == 1)
        }
    }

    @Test func creationIsPublished() async throws {
        let fixture = TaskAPIFixture()
        let created = try fixture.connect(subscriptions: ["task_created", "queue:q1"])
        try await fixture.test { client in
            _ = try await client.createTask(#"{"name":"x","queue":"q1"}"#)
        }
        let messages = created.parsedMessages
        #expect(messages.count == 2)
        #expect(messages.allSatisfy { $0.string("type") == "task_update" && $0.string("status") == "pending" })
        #expect(Set(messages.compactMap { $0.string("event_type") }) == ["task_created", "queue:q1"])
    }

    @Test func wholeNumbersWrittenAsDecimalsAreIntegers() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let task = try await client.createTask(#"{"name":"n","priority":2.0,"max_attempts":1e1}"#)
            #expect(task.int("priority") == 2)
            #expect(task.int("max_attempts") == 10)
        }
    }

    @Test func nullOptionalFieldsTakeTheirDefaults() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let task = try await client.createTask(#"{"name":"n","queue":null,"priority":null,"max_attempts":null,"extra":[1]}"#)
            #expect(task.string("queue") == "default")
            #expect(task.int("priority") == 0)
            #expect(task.int("max_attempts") == 3)
        }
    }

    @Test(arguments: [
        ("", "empty"),
        ("{", "not a JSON object"),
        ("[1]", "not a JSON object"),
        (#"{"name":"a",}"#, "not a JSON object"),
        ("{}", "'name' is missing"),
        (#"{"name":null}"#, "'name' is missing"),
        (#"{"name":7}"#, "'name' must be a string, not number"),
        (#"{"name":""}"#, "'name' must not be empty"),
        (#"{"name":"n","queue":3}"#, "'queue' must be a string"),
        (#"{"name":"n","queue":"a b"}"#, "'queue' must be 1 to 64"),
        (#"{"name":"n","priority":"1"}"#, "'priority' must be an integer, not string"),
        (#"{"name":"n","priority":1.5}"#, "'priority' must be an integer, not 1.5"),
        (#"{"name":"n","priority":true}"#, "'priority' must be an integer, not boolean"),
        (#"{"name":"n","priority":2147483648}"#, "'priority' must be an integer between -2147483648 and 2147483647"),
        (#"{"name":"n","priority":1e400}"#, "'priority' must be an integer between"),
        (#"{"name":"n","max_attempts":0}"#, "'max_attempts' must be an integer between 1 and 100"),
        (#"{"name":"n","max_attempts":101}"#, "'max_attempts' must be an integer between 1 and 100"),
        (#"{"name":"n","max_attempts":[3]}"#, "'max_attempts' must be an integer, not array"),
    ])
    func badBodiesAre400NamingTheFieldAndReason(body: String, mentions: String) async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            expectError(try await client.post("/api/v1/tasks", body), .badRequest, code: "bad_request", mentions: mentions)
        }
        #expect(try await fixture.service.counts().all.total == 0)
    }

    @Test func namesAreLimitedTo256CodePoints() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let longest = String(repeating: "é", count: 256)
            #expect(try await client.createTask(#"{"name":"\#(longest)"}"#).string("name") == longest)
            let tooLong = String(repeating: "a", count: 257)
            expectError(
                try await client.post("/api/v1/tasks", #"{"name":"\#(tooLong)"}"#),
                .badRequest,
                code: "bad_request",
                mentions: "'name' is longer than 256 characters"
            )
            // Combining marks: 257 code points in fewer graphemes still count as 257.
            let combining = "e" + String(repeating: "\u{301}", count: 256)
            expectError(try await client.post("/api/v1/tasks", #"{"name":"\#(combining)"}"#), .badRequest, code: "bad_request")
        }
    }

    @Test func payloadOverTheQueueLimitIs413NamingThePayload() async throws {
        let fixture = TaskAPIFixture()
        let limit = TaskAPIFixture.maxPayloadSize
        try await fixture.test { client in
            let fits = #"""# + String(repeating: "p", count: limit - 2) + #"""#
            #expect(try await client.createTask(#"{"name":"n","payload":\#(fits)}"#)["payload"]?.stringValue?.count == limit - 2)
            let tooBig = #"""# + String(repeating: "p", count: limit - 1) + #"""#
            expectError(
                try await client.post("/api/v1/tasks", #"{"name":"n","payload":\#(tooBig)}"#),
                .contentTooLarge,
                code: "payload_too_large",
                mentions: "field 'payload' is \(limit + 1) bytes"
            )
        }
    }

    @Test func bodyOverTheHTTPLimitIs413NamingTheBody() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let body = #"{"name":"n","padding":""# + String(repeating: "x", count: TaskAPIFixture.maxBodySize) + #""}"#
            expectError(
                try await client.post("/api/v1/tasks", body),
                .contentTooLarge,
                code: "payload_too_large",
                mentions: "request body is larger than the limit of \(TaskAPIFixture.maxBodySize) bytes"
            )
        }
    }

    @Test func getUnknownOrMalformedIDIs404() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            expectError(try await client.get("/api/v1/tasks/no-such-task"), .notFound, code: "not_found", mentions: "no-such-task")
            for malformed in ["a%20b", "x:y", String(repeating: "a", count: 65), "%C3%A9"] {
                expectError(try await client.get("/api/v1/tasks/\(malformed)"), .notFound, code: "not_found")
            }
        }
    }

    @Test func storeFailuresAre503() async throws {
        let fixture = TaskAPIFixture(store: UnreachableTaskStore())
        try await fixture.test { client in
            expectError(try await client.post("/api/v1/tasks", #"{"name":"n"}"#), .serviceUnavailable, code: "unavailable")
            expectError(try await client.get("/api/v1/tasks"), .serviceUnavailable, code: "unavailable")
            expectError(try await client.get("/api/v1/queue/status"), .serviceUnavailable, code: "unavailable")
        }
    }
}
