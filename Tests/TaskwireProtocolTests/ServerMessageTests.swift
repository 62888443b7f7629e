import NIOCore
import Testing
import TaskwireProtocol

@Suite struct ServerMessageTests {
    @Test func welcomeCarriesEveryFieldOfTheProtocol() throws {
        let buffer = ServerMessage.welcome(
            clientID: "c-1", userID: "u\"1", sessionID: nil, subscriptions: ["bench", "task:1"],
            pingIntervalMs: 30000, pongTimeoutMs: 10000, maxMessageSize: 1_048_576, server: "taskwire/1.2.3"
        )
        let message = try parseBuffer(buffer)
        #expect(message.memberNames == [
            "client_id", "max_message_size", "ping_interval_ms", "pong_timeout_ms", "server", "session_id", "subscriptions",
            "type", "user_id",
        ])
        #expect(message[member: "type"] == .string("welcome"))
        #expect(message[member: "client_id"] == .string("c-1"))
        #expect(message[member: "user_id"] == .string("u\"1"))
        #expect(message[member: "session_id"] == .null)
        #expect(message[member: "subscriptions"] == .array([.string("bench"), .string("task:1")]))
        #expect(message[member: "ping_interval_ms"] == .number("30000"))
        #expect(message[member: "pong_timeout_ms"] == .number("10000"))
        #expect(message[member: "max_message_size"] == .number("1048576"))
        #expect(message[member: "server"] == .string("taskwire/1.2.3"))
    }

    @Test func welcomeWithNoUserAndNoSubscriptions() throws {
        let message = try parseBuffer(ServerMessage.welcome(
            clientID: "c", userID: nil, sessionID: "s", subscriptions: [], pingIntervalMs: 1, pongTimeoutMs: 2,
            maxMessageSize: 3, server: "x"
        ))
        #expect(message[member: "user_id"] == .null)
        #expect(message[member: "session_id"] == .string("s"))
        #expect(message[member: "subscriptions"] == .array([]))
    }

    @Test func ackEchoesTheIDAndAddsExtraFields() throws {
        let plain = try parseBuffer(ServerMessage.ack(id: RequestID(12)))
        #expect(plain == .object(["type": .string("ack"), "id": .number("12")]))

        let stringID = try #require(RequestID(.string("req \"1\"")))
        let extended = try parseBuffer(ServerMessage.ack(id: stringID) { b in
            b.writeStaticString(#","delivered":"#)
            b.writeJSONInteger(3)
        })
        #expect(extended == .object(["type": .string("ack"), "id": .string("req \"1\""), "delivered": .number("3")]))
    }

    @Test func errorHasCodeMessageAndNullIDWhenThereIsNone() throws {
        let message = try parseBuffer(ServerMessage.error(TaskwireError(.badMessage, #"field "x": bad\n"#)))
        #expect(message == .object([
            "type": .string("error"), "code": .string("bad_message"), "message": .string(#"field "x": bad\n"#), "id": .null,
        ]))
    }

    @Test func errorEchoesTheRequestID() throws {
        let message = try parseBuffer(ServerMessage.error(TaskwireError(.forbidden, "no", requestID: RequestID(-4))))
        #expect(message[member: "id"] == .number("-4"))
        #expect(message[member: "code"] == .string("forbidden"))
    }

    @Test(arguments: [
        (ErrorCode.badMessage, "bad_message"), (.unknownType, "unknown_type"), (.forbidden, "forbidden"),
        (.invalidEventType, "invalid_event_type"), (.rateLimited, "rate_limited"), (.notFound, "not_found"),
        (.internal, "internal"),
    ])
    func errorCodesAreTheProtocolStrings(_ code: ErrorCode, _ text: String) throws {
        #expect(code.rawValue == text)
        #expect(try parseBuffer(ServerMessage.error(TaskwireError(code, "m")))[member: "code"] == .string(text))
    }

    @Test func closeCodesAreTheProtocolNumbers() {
        let codes: [(CloseCode, UInt16)] = [
            (.normal, 1000), (.goingAway, 1001), (.policyViolation, 1008), (.messageTooBig, 1009), (.internalError, 1011),
            (.credentialsExpired, 4001), (.heartbeatTimeout, 4002), (.slowConsumer, 4003), (.rateLimited, 4004),
        ]
        for (code, number) in codes {
            #expect(code.rawValue == number)
        }
    }

    @Test func pingAndPong() throws {
        #expect(try parseBuffer(ServerMessage.ping()) == .object(["type": .string("ping")]))
        #expect(try parseBuffer(ServerMessage.pong(id: nil)) == .object(["type": .string("pong")]))
        let withID = try parseBuffer(ServerMessage.pong(id: RequestID(.string("p1"))))
        #expect(withID == .object(["type": .string("pong"), "id": .string("p1")]))
    }

    @Test func closeEventAddsEventTypeSeqAndEpochToACustomBody() throws {
        let body = ServerMessage.customBody(data: ByteBuffer(string: #"{"n":1800000000000000000123}"#))
        var buffer = ByteBuffer()
        ServerMessage.closeEvent(body, stream: "bench", seq: 41, epoch: "e1.2", into: &buffer)
        let text = String(buffer: buffer)
        #expect(text.contains(#""data":{"n":1800000000000000000123}"#))
        let message = try parseBuffer(buffer)
        #expect(message == .object([
            "type": .string("custom"), "data": .object(["n": .number("1800000000000000000123")]),
            "event_type": .string("bench"), "seq": .number("41"), "epoch": .string("e1.2"),
        ]))
    }

    @Test func closeEventKeepsNullData() throws {
        var buffer = ByteBuffer()
        ServerMessage.closeEvent(ServerMessage.customBody(data: ByteBuffer(string: "null")), stream: "s", seq: 1, epoch: "e", into: &buffer)
        let message = try parseBuffer(buffer)
        #expect(message[member: "data"] == .null)
        #expect(message.memberNames == ["data", "epoch", "event_type", "seq", "type"])
    }

    @Test func theSameBodyCanBeClosedForSeveralStreams() throws {
        let body = ServerMessage.customBody(data: ByteBuffer(string: "[1]"))
        var first = ByteBuffer()
        var second = ByteBuffer()
        ServerMessage.closeEvent(body, stream: "task_updated", seq: 7, epoch: "a", into: &first)
        ServerMessage.closeEvent(body, stream: "task:1", seq: 1, epoch: "b", into: &second)
        #expect(try parseBuffer(first)[member: "event_type"] == .string("task_updated"))
        #expect(try parseBuffer(second)[member: "event_type"] == .string("task:1"))
        #expect(try parseBuffer(second)[member: "seq"] == .number("1"))
        #expect(String(buffer: body) == #"{"type":"custom","data":[1]"#)
    }

    @Test func notificationHasEveryField() throws {
        let body = ServerMessage.notificationBody(level: "warning", title: "Disk", message: "90% \"full\"", timestamp: "2026-01-02T03:04:05.006Z")
        var event = ByteBuffer()
        ServerMessage.closeEvent(body, stream: "system_notification", seq: 3, epoch: "e", into: &event)
        let message = try parseBuffer(event)
        #expect(message.memberNames == ["epoch", "event_type", "level", "message", "seq", "timestamp", "title", "type"])
        #expect(message[member: "type"] == .string("notification"))
        #expect(message[member: "level"] == .string("warning"))
        #expect(message[member: "message"] == .string("90% \"full\""))
        #expect(message[member: "timestamp"] == .string("2026-01-02T03:04:05.006Z"))

        let direct = try parseBuffer(ServerMessage.closeDirect(body))
        #expect(direct.memberNames == ["level", "message", "timestamp", "title", "type"])
    }
}
