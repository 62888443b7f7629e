import MetricsTestKit
import NIOCore
import TaskwireHub
import TaskwireProtocol
import TaskwireTesting
import Testing

/// Rights on the socket: stream patterns, subscribe and publish checks, expiry with 4001.
@Suite struct AccessTests {
    @Test(arguments: [
        ("task:*", "task:abc", true), ("task:*", "task_updated", false), ("*", "anything", true),
        ("news", "news", true), ("news", "news2", false), ("chat.*.room", "chat.a.b.room", true),
        ("chat.*.room", "chat.room", false), ("*_updated", "task_updated", true), ("a*b*c", "aXbYc", true), ("a*b*c", "aXc", false),
    ])
    func patterns(_ pattern: String, _ name: String, _ expected: Bool) {
        #expect(StreamPatterns([pattern]).matches(name) == expected)
    }

    @Test func subscribeAndPublishFollowTheRights() throws {
        let fixture = HubFixture()
        let access = Access(userID: "u", subscribe: StreamPatterns(["task:*", "room.*"]), publish: StreamPatterns(["room.chat"]))
        let transport = TestTransport()
        let client = try fixture.hub.addConnection(transport: transport, on: fixture.executors[0], userID: "u", access: access)
        _ = transport.take()
        fixture.hub.handleText(ByteBuffer(string: #"{"type":"subscribe","id":1,"event_types":["room.chat","news"]}"#), from: client)
        let refused = try #require(transport.take().first)
        #expect(refused.string("code") == "forbidden" && refused.string("message")?.contains("news") == true)
        #expect(client.subscribedStreams.isEmpty, "all or nothing")
        fixture.hub.handleText(ByteBuffer(string: #"{"type":"subscribe","id":2,"event_types":["room.chat"]}"#), from: client)
        fixture.hub.handleText(ByteBuffer(string: #"{"type":"custom","id":3,"event_type":"room.other","data":1}"#), from: client)
        fixture.hub.handleText(ByteBuffer(string: #"{"type":"custom","id":4,"event_type":"room.chat","data":1}"#), from: client)
        let answers = transport.take()
        #expect(answers.map(\.messageType) == ["ack", "error", "custom", "ack"])
        #expect(answers[1].string("code") == "forbidden")
        #expect(throws: TaskwireError.self) {
            try fixture.hub.addConnection(transport: TestTransport(), on: fixture.executors[0], subscriptions: [.taskUpdated], access: access)
        }
    }

    @Test func expiredCredentialsCloseWith4001() async throws {
        let fixture = HubFixture()
        let expiry = fixture.clock.now() + .seconds(5)
        let transport = TestTransport()
        _ = try fixture.hub.addConnection(transport: transport, on: fixture.executors[0], access: Access(userID: "u", expiresAt: expiry))
        await fixture.hub.heartbeat()
        #expect(transport.closeCode == nil)
        fixture.clock.advance(by: .seconds(5))
        await fixture.hub.heartbeat()
        #expect(transport.closeCode == .credentialsExpired)
        #expect(fixture.metrics.counterTotal(label: "taskwire_credentials_expired_total") == 1)
    }
}
