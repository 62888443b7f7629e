import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TaskwireHub
import TaskwireProtocol
import TaskwireQueue
import TaskwireTesting
import Testing

@Suite struct TaskListAPITests {
    @Test func cursorPagingReturnsEveryTaskOnceNewestFirst() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            var created: [String] = []
            for i in 0..<120 {
                fixture.clock.advance(by: .milliseconds(1))
                created.append(try await client.createTask(#"{"name":"t\#(i)"}"#).id)
            }
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let uri = "/api/v1/tasks?limit=50" + (cursor.map { "&cursor=\($0)" } ?? "")
                let response = try await client.get(uri)
                #expect(response.status == .ok)
                guard case .array(let tasks)? = response.json["tasks"] else {
                    Issue.record("no tasks array")
                    return
                }
                seen += tasks.map(\.id)
                cursor = response.json.string("next_cursor")
                if cursor == nil { #expect(response.json["next_cursor"] == .null) }
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3)
            #expect(seen == created.reversed())
        }
    }

    @Test func defaultLimitIs50() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            for _ in 0..<51 { _ = try await client.createTask() }
            let response = try await client.get("/api/v1/tasks")
            guard case .array(let tasks)? = response.json["tasks"] else {
                Issue.record("no tasks array")
                return
            }
            #expect(tasks.count == 50)
            #expect(response.json.string("next_cursor") != nil)
        }
    }

    @Test func statusAndQueueFiltersCombine() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let a1 = try await client.createTask(#"{"name":"a1","queue":"a"}"#).id
            let a2 = try await client.createTask(#"{"name":"a2","queue":"a"}"#).id
            let b1 = try await client.createTask(#"{"name":"b1","queue":"b"}"#).id
            _ = try await client.post("/api/v1/tasks/\(a1)/cancel", "")

            func ids(_ query: String) async throws -> [String] {
                let response = try await client.get("/api/v1/tasks?\(query)")
                #expect(response.status == .ok, "\(query)")
                guard case .array(let tasks)? = response.json["tasks"] else { return [] }
                return tasks.map(\.id)
            }
            #expect(try await ids("queue=a") == [a2, a1])
            #expect(try await ids("status=pending") == [b1, a2])
            #expect(try await ids("status=cancelled&queue=a") == [a1])
            #expect(try await ids("status=running").isEmpty)
            #expect(try await ids("queue=nowhere").isEmpty)
            // Empty values count as absent; unknown parameters are ignored.
            #expect(try await ids("status=&queue=&limit=&cursor=&colour=blue") == [b1, a2, a1])
        }
    }

    @Test(arguments: [
        ("status=done", "query parameter 'status' must be one of pending, running, completed, failed, cancelled"),
        ("status=PENDING", "query parameter 'status'"),
        ("queue=a%20b", "query parameter 'queue'"),
        ("limit=0", "query parameter 'limit' must be an integer between 1 and 500"),
        ("limit=501", "query parameter 'limit'"),
        ("limit=ten", "query parameter 'limit'"),
        ("limit=1.5", "query parameter 'limit'"),
        ("cursor=bogus", "query parameter 'cursor'"),
        ("cursor=c0", "query parameter 'cursor'"),
        ("cursor=cA", "query parameter 'cursor'"),
        ("cursor=c%2B1", "query parameter 'cursor'"),
    ])
    func badQueryParametersAre400(query: String, mentions: String) async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            expectError(try await client.get("/api/v1/tasks?\(query)"), .badRequest, code: "bad_request", mentions: mentions)
        }
    }

    @Test func limitOf500IsAllowed() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let response = try await client.get("/api/v1/tasks?limit=500")
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == #"{"tasks":[],"next_cursor":null}"#)
        }
    }
}
