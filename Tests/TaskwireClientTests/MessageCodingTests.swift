import NIOCore
@testable import TaskwireClient
import TaskwireProtocol
import Testing

/// The client's messages, read back by the server's own decoder; the server's, read by the client.
@Suite struct MessageCodingTests {
    @Test func subscribeWithSinceIsWhatTheServerReads() throws {
        let text = OutgoingMessage.subscribe(
            id: 7,
            streams: ["news", "task:a-1"],
            since: ["news": StreamPosition(seq: 41, epoch: "e\"1")]
        )
        guard case .subscribe(let id, let streams, let since) = try ClientMessage.decode(text) else {
            Issue.record("not a subscribe: \(String(buffer: text))")
            return
        }
        #expect(id == RequestID(7))
        #expect(streams == ["news", "task:a-1"])
        #expect(since == ["news": StreamPosition(seq: 41, epoch: "e\"1")])
    }

    @Test func publishAndUnsubscribeAreWhatTheServerReads() throws {
        let data = JSONValue.object(["n": .number("1.50"), "s": .string("é\n"), "list": .array([.null, .bool(true)])])
        guard case .custom(let id, let stream, let raw) = try ClientMessage.decode(OutgoingMessage.publish(id: 3, stream: "room.1", data: data)) else {
            Issue.record("not a custom message")
            return
        }
        #expect(id == RequestID(3) && stream == "room.1")
        #expect(try JSONValue.parse(raw) == data, "data passes unchanged, numbers as written")
        guard case .unsubscribe(let uid, let streams) = try ClientMessage.decode(OutgoingMessage.unsubscribe(id: 4, streams: ["a"])) else {
            Issue.record("not an unsubscribe")
            return
        }
        #expect(uid == RequestID(4) && streams == ["a"])
    }

    @Test func serverMessagesDecode() throws {
        var event = ByteBuffer()
        ServerMessage.closeEvent(
            ServerMessage.taskUpdateBody(taskID: "t1", status: "running", progress: 0.4, message: "half", queue: "q"),
            stream: "queue:q", seq: 9, epoch: "ep", into: &event
        )
        guard case .event(let decoded) = try IncomingMessage.decode(event) else {
            Issue.record("not an event")
            return
        }
        #expect(decoded.stream == "queue:q" && decoded.seq == 9 && decoded.epoch == "ep")
        #expect(decoded.message == .taskUpdate(TaskUpdate(taskID: "t1", status: "running", progress: 0.4, message: "half", queue: "q")))

        let error = ServerMessage.error(TaskwireError(.forbidden, "no", requestID: RequestID(5)))
        guard case .error(let id, let code, let message) = try IncomingMessage.decode(error) else {
            Issue.record("not an error")
            return
        }
        #expect(id == 5 && code == "forbidden" && message == "no")
        #expect(throws: TaskwireClientError.self) { try IncomingMessage.decode(ByteBuffer(string: "[1]")) }
    }
}
