public import NIOCore

/// Encoders for the messages the server sends, each writing compact JSON into a `ByteBuffer`.
///
/// Messages that belong to a stream are written "open" (without the closing brace) by the
/// `…Body` functions, so that the hub can add `event_type`, `seq` and `epoch` once per stream.
public enum ServerMessage {
    /// The first message of every connection.
    public static func welcome(
        clientID: String,
        userID: String?,
        sessionID: String?,
        subscriptions: [String],
        pingIntervalMs: Int64,
        pongTimeoutMs: Int64,
        maxMessageSize: Int,
        server: String
    ) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeStaticString(#"{"type":"welcome","client_id":"#)
        b.writeJSONString(clientID)
        b.writeStaticString(#","user_id":"#)
        b.writeJSONString(orNull: userID)
        b.writeStaticString(#","session_id":"#)
        b.writeJSONString(orNull: sessionID)
        b.writeStaticString(#","subscriptions":"#)
        b.writeJSONStringArray(subscriptions)
        b.writeStaticString(#","ping_interval_ms":"#)
        b.writeJSONInteger(pingIntervalMs)
        b.writeStaticString(#","pong_timeout_ms":"#)
        b.writeJSONInteger(pongTimeoutMs)
        b.writeStaticString(#","max_message_size":"#)
        b.writeJSONInteger(maxMessageSize)
        b.writeStaticString(#","server":"#)
        b.writeJSONString(server)
        b.writeStaticString("}")
        return b
    }

    /// An `ack` for a request; `extra` writes further fields, each starting with a comma.
    public static func ack(id: RequestID, extra: (inout ByteBuffer) -> Void = { _ in }) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeStaticString(#"{"type":"ack","id":"#)
        b.writeString(id.json)
        extra(&b)
        b.writeStaticString("}")
        return b
    }

    /// An `error` message.
    public static func error(_ error: TaskwireError) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeStaticString(#"{"type":"error","code":"#)
        b.writeJSONString(error.code.rawValue)
        b.writeStaticString(#","message":"#)
        b.writeJSONString(error.message)
        b.writeStaticString(#","id":"#)
        if let id = error.requestID { b.writeString(id.json) } else { b.writeStaticString("null") }
        b.writeStaticString("}")
        return b
    }

    /// `{"type":"ping"}`.
    public static func ping() -> ByteBuffer { ByteBuffer(staticString: #"{"type":"ping"}"#) }

    /// `{"type":"pong"}`, with the request's id when it had one.
    public static func pong(id: RequestID?) -> ByteBuffer {
        guard let id else { return ByteBuffer(staticString: #"{"type":"pong"}"#) }
        var b = ByteBuffer()
        b.writeStaticString(#"{"type":"pong","id":"#)
        b.writeString(id.json)
        b.writeStaticString("}")
        return b
    }

    // MARK: Open bodies of stream messages

    /// The open body of a `custom` message: `{"type":"custom","data":…` (the stream adds `event_type`).
    ///
    /// - Parameter data: the JSON text of `data`, written unchanged.
    public static func customBody(data: ByteBuffer) -> ByteBuffer {
        var b = ByteBuffer()
        b.reserveCapacity(data.readableBytes + 96)
        b.writeStaticString(#"{"type":"custom","data":"#)
        b.writeImmutableBuffer(data)
        return b
    }

    /// The open body of a `notification` message.
    public static func notificationBody(level: String, title: String, message: String, timestamp: String) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeStaticString(#"{"type":"notification","level":"#)
        b.writeJSONString(level)
        b.writeStaticString(#","title":"#)
        b.writeJSONString(title)
        b.writeStaticString(#","message":"#)
        b.writeJSONString(message)
        b.writeStaticString(#","timestamp":"#)
        b.writeJSONString(timestamp)
        return b
    }

    /// The open body of a `task_update` message.
    public static func taskUpdateBody(taskID: String, status: String, progress: Double?, message: String?, queue: String) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeStaticString(#"{"type":"task_update","task_id":"#)
        b.writeJSONString(taskID)
        b.writeStaticString(#","status":"#)
        b.writeJSONString(status)
        b.writeStaticString(#","progress":"#)
        if let progress { b.writeJSONNumber(progress) } else { b.writeStaticString("null") }
        b.writeStaticString(#","message":"#)
        b.writeJSONString(orNull: message)
        b.writeStaticString(#","queue":"#)
        b.writeJSONString(queue)
        return b
    }

    /// The open body of a `queue_status` message; `extra` writes further fields, each starting with a comma.
    public static func queueStatusBody(
        total: Int,
        pending: Int,
        running: Int,
        completed: Int,
        failed: Int,
        cancelled: Int,
        extra: (inout ByteBuffer) -> Void = { _ in }
    ) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeStaticString(#"{"type":"queue_status","#)
        writeTaskCountFields(total: total, pending: pending, running: running, completed: completed, failed: failed, cancelled: cancelled, into: &b)
        extra(&b)
        return b
    }

    /// Writes `"total_tasks":…,"pending_tasks":…,…,"cancelled_tasks":…` (no braces).
    public static func writeTaskCountFields(
        total: Int,
        pending: Int,
        running: Int,
        completed: Int,
        failed: Int,
        cancelled: Int,
        into b: inout ByteBuffer
    ) {
        b.writeStaticString(#""total_tasks":"#)
        b.writeJSONInteger(total)
        b.writeStaticString(#","pending_tasks":"#)
        b.writeJSONInteger(pending)
        b.writeStaticString(#","running_tasks":"#)
        b.writeJSONInteger(running)
        b.writeStaticString(#","completed_tasks":"#)
        b.writeJSONInteger(completed)
        b.writeStaticString(#","failed_tasks":"#)
        b.writeJSONInteger(failed)
        b.writeStaticString(#","cancelled_tasks":"#)
        b.writeJSONInteger(cancelled)
    }

    /// Closes an open body as a stream event: adds `event_type`, `seq` and `epoch` and the closing brace.
    public static func closeEvent(_ body: ByteBuffer, stream: String, seq: UInt64, epoch: String, into b: inout ByteBuffer) {
        b.writeImmutableBuffer(body)
        b.writeStaticString(#","event_type":"#)
        b.writeJSONString(stream)
        b.writeStaticString(#","seq":"#)
        b.writeJSONInteger(seq)
        b.writeStaticString(#","epoch":"#)
        b.writeJSONString(epoch)
        b.writeStaticString("}")
    }

    /// Closes an open body that belongs to no stream (a direct message).
    public static func closeDirect(_ body: ByteBuffer) -> ByteBuffer {
        var b = body
        b.writeStaticString("}")
        return b
    }
}
