import NIOCore
import TaskwireProtocol

/// Encoders for the messages the client sends (PROTOCOL.md, "Client to server").
enum OutgoingMessage {
    /// `{"type":"subscribe","id":…,"event_types":[…],"since":{…}}` (`since` only when not empty).
    static func subscribe(id: Int64, streams: [String], since: [String: StreamPosition]) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeStaticString(#"{"type":"subscribe","id":"#)
        b.writeJSONInteger(id)
        b.writeStaticString(#","event_types":"#)
        b.writeJSONStringArray(streams)
        if !since.isEmpty {
            b.writeStaticString(#","since":{"#)
            for (i, stream) in since.keys.sorted().enumerated() {
                let position = since[stream]!
                if i > 0 { b.writeStaticString(",") }
                b.writeJSONString(stream)
                b.writeStaticString(#":{"seq":"#)
                b.writeJSONInteger(position.seq)
                b.writeStaticString(#","epoch":"#)
                b.writeJSONString(position.epoch)
                b.writeStaticString("}")
            }
            b.writeStaticString("}")
        }
        b.writeStaticString("}")
        return b
    }

    /// `{"type":"unsubscribe","id":…,"event_types":[…]}`.
    static func unsubscribe(id: Int64, streams: [String]) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeStaticString(#"{"type":"unsubscribe","id":"#)
        b.writeJSONInteger(id)
        b.writeStaticString(#","event_types":"#)
        b.writeJSONStringArray(streams)
        b.writeStaticString("}")
        return b
    }

    /// `{"type":"custom","id":…,"event_type":…,"data":…}`.
    static func publish(id: Int64, stream: String, data: JSONValue) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeStaticString(#"{"type":"custom","id":"#)
        b.writeJSONInteger(id)
        b.writeStaticString(#","event_type":"#)
        b.writeJSONString(stream)
        b.writeStaticString(#","data":"#)
        b.writeJSONValue(data)
        b.writeStaticString("}")
        return b
    }

    /// `{"type":"ping"}`.
    static func ping() -> ByteBuffer { ByteBuffer(staticString: #"{"type":"ping"}"#) }

    /// `{"type":"pong"}`, the answer to a server `ping` message.
    static func pong() -> ByteBuffer { ByteBuffer(staticString: #"{"type":"pong"}"#) }
}
