import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TaskwireHub
import TaskwireProtocol
import TaskwireTesting
import Testing

@Suite struct PublishAPITests {
    @Test func publishDeliversToSubscribersAndCountsThem() async throws {
        let fixture = APIFixture()
        let (_, a) = try fixture.connect(subscriptions: ["news"])
        let (_, b) = try fixture.connect(subscriptions: ["news"])
        let (_, other) = try fixture.connect(subscriptions: ["sports"])
        try await fixture.test { client in
            let response = try await client.execute(
                uri: "/api/v1/publish",
                method: .post,
                body: .text(#"{"event_type":"news","data":{"k":[1,null,"v"]}}"#)
            )
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(String(buffer: response.body) == #"{"delivered":2}"#)
        }
        for transport in [a, b] {
            let messages = transport.messages
            #expect(messages.count == 1)
            #expect(messages.first?.hasPrefix(#"{"type":"custom","data":{"k":[1,null,"v"]},"event_type":"news","seq":1,"#) == true)
        }
        #expect(other.messages.isEmpty)
    }

    @Test func dataIsPassedThroughByteForByte() async throws {
        let fixture = APIFixture()
        let (_, subscriber) = try fixture.connect(subscriptions: ["raw"])
        let data = #"[9007199254740993, 1.50e3, "\u00e9", {"b":1,"a":2}]"#
        try await fixture.test { client in
            let response = try await client.execute(
                uri: "/api/v1/publish",
                method: .post,
                body: .text(#"{"data": "# + data + #", "event_type": "raw"}"#)
            )
            #expect(response.json["delivered"]?.int64Value == 1)
        }
        #expect(subscriber.messages.first?.contains(#""data":"# + data + ",") == true)
    }

    @Test func missingDataIsPublishedAsNull() async throws {
        let fixture = APIFixture()
        let (_, subscriber) = try fixture.connect(subscriptions: ["n"])
        try await fixture.test { client in
            let response = try await client.execute(uri: "/api/v1/publish", method: .post, body: .text(#"{"event_type":"n"}"#))
            #expect(response.status == .ok)
        }
        #expect(subscriber.parsedMessages.first?["data"] == .null)
    }

    @Test func publishWithoutSubscribersDeliversZero() async throws {
        let fixture = APIFixture()
        try await fixture.test { client in
            let response = try await client.execute(uri: "/api/v1/publish", method: .post, body: .text(#"{"event_type":"nobody","data":1}"#))
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == #"{"delivered":0}"#)
        }
        #expect(fixture.hub.position(of: try StreamName(validating: "nobody")).seq == 1)
    }

    @Test(arguments: ["task_created", "task_updated", "queue_status_changed", "user_notification", "task:t1", "queue:default"])
    func serverWrittenStreamsAreForbidden(stream: String) async throws {
        let fixture = APIFixture()
        try await fixture.test { client in
            let response = try await client.execute(
                uri: "/api/v1/publish",
                method: .post,
                body: .text(#"{"event_type":"\#(stream)","data":1}"#)
            )
            expectError(response, .forbidden, code: "forbidden", mentions: "event_type")
        }
        #expect(fixture.hub.position(of: try StreamName(validating: stream)).seq == 0)
    }

    @Test(arguments: [
        (#"not json"#, "JSON object"),
        (#"[1,2]"#, "JSON object"),
        (#""#, "empty"),
        (#"{}"#, "event_type"),
        (#"{"data":1}"#, "event_type"),
        (#"{"event_type":5,"data":1}"#, "event_type"),
        (#"{"event_type":null}"#, "event_type"),
        (#"{"event_type":"bad name"}"#, "event_type"),
        (#"{"event_type":""}"#, "event_type"),
        (#"{"event_type":"task:bad id"}"#, "event_type"),
        (#"{"event_type":"a","data":}"#, "JSON object"),
    ])
    func badBodiesAre400NamingTheField(body: String, mentions: String) async throws {
        let fixture = APIFixture()
        try await fixture.test { client in
            let response = try await client.execute(uri: "/api/v1/publish", method: .post, body: .text(body))
            expectError(response, .badRequest, code: "bad_request", mentions: mentions)
        }
    }

    @Test func wronglyTypedFieldSaysWhatItIs() async throws {
        let fixture = APIFixture()
        try await fixture.test { client in
            let response = try await client.execute(uri: "/api/v1/publish", method: .post, body: .text(#"{"event_type":["a"]}"#))
            expectError(response, .badRequest, code: "bad_request", mentions: "field 'event_type' must be a string, not array")
        }
    }

    @Test func bodyOverTheLimitIs413() async throws {
        let fixture = APIFixture(maxBodySize: 64)
        let big = #"{"event_type":"news","data":""# + String(repeating: "x", count: 100) + #""}"#
        try await fixture.test { client in
            let response = try await client.execute(uri: "/api/v1/publish", method: .post, body: .text(big))
            expectError(response, .contentTooLarge, code: "payload_too_large", mentions: "64 bytes")
            let small = try await client.execute(uri: "/api/v1/publish", method: .post, body: .text(#"{"event_type":"news"}"#))
            #expect(small.status == .ok)
        }
    }

    @Test func otherMethodsAre405WithAllow() async throws {
        let fixture = APIFixture()
        try await fixture.test { client in
            for method in [HTTPRequest.Method.get, .put, .delete, .patch] {
                let response = try await client.execute(uri: "/api/v1/publish", method: method)
                expectError(response, .methodNotAllowed, code: "method_not_allowed", mentions: "POST")
                #expect(response.headers[.allow] == "POST")
            }
        }
    }
}
