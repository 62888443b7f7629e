public import NIOCore

/// A message from a client, decoded and checked for shape (stream names are checked by the hub).
public enum ClientMessage: Sendable {
    /// Add subscriptions, optionally recovering from positions given in `since`.
    case subscribe(id: RequestID?, streams: [String], since: [String: StreamPosition])
    /// Remove subscriptions.
    case unsubscribe(id: RequestID?, streams: [String])
    /// Publish `data` (its JSON text, unchanged) to the subscribers of `stream`.
    case custom(id: RequestID?, stream: String, data: ByteBuffer)
    /// Application-level ping: the server answers `pong`.
    case ping(id: RequestID?)
    /// Answer to a server `ping`.
    case pong
    /// Fresh credentials for the connection, before the current ones expire.
    case refresh(id: RequestID?, token: String)

    /// The request's id, if it has one.
    public var requestID: RequestID? {
        switch self {
        case .subscribe(let id, _, _), .unsubscribe(let id, _), .custom(let id, _, _), .ping(let id), .refresh(let id, _): id
        case .pong: nil
        }
    }

    /// Decodes one text message.
    ///
    /// - Throws: ``TaskwireError`` with `bad_message` (not JSON, no `type`, wrong field types) or
    ///   `unknown_type`, carrying the request's `id` when one could be read.
    public static func decode(_ buffer: ByteBuffer) throws(TaskwireError) -> ClientMessage {
        let result: Result<ClientMessage, TaskwireError> = buffer.withUnsafeReadableBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            return Result { () throws(TaskwireError) -> ClientMessage in try decode(bytes, buffer: buffer) }
        }
        return try result.get()
    }

    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>, buffer: ByteBuffer) throws(TaskwireError) -> ClientMessage {
        let members: [String: JSONMember]
        do {
            members = try JSONParser.parseObjectMembers(bytes)
        } catch {
            throw TaskwireError(.badMessage, "message is not a JSON object: \(error)")
        }
        var id: RequestID?
        if let idMember = members["id"], !idMember.value.isNull {
            guard let parsed = RequestID(idMember.value) else {
                throw TaskwireError(.badMessage, "field 'id' must be an integer or a string")
            }
            id = parsed
        }
        guard let typeMember = members["type"] else {
            throw TaskwireError(.badMessage, "field 'type' is missing", requestID: id)
        }
        guard let type = typeMember.value.stringValue else {
            throw TaskwireError(.badMessage, "field 'type' must be a string", requestID: id)
        }
        switch type {
        case "subscribe":
            let streams = try streamList(members, id: id)
            var since: [String: StreamPosition] = [:]
            if let sinceMember = members["since"], !sinceMember.value.isNull {
                guard case .object(let positions) = sinceMember.value else {
                    throw TaskwireError(.badMessage, "field 'since' must be an object of stream positions", requestID: id)
                }
                for (stream, value) in positions {
                    guard case .object(let fields) = value,
                        let seqValue = fields["seq"], case .number(let seqText) = seqValue, let seq = UInt64(seqText),
                        let epoch = fields["epoch"]?.stringValue
                    else {
                        throw TaskwireError(
                            .badMessage,
                            "field 'since.\(stream)' must be {\"seq\": non-negative integer, \"epoch\": string}",
                            requestID: id
                        )
                    }
                    since[stream] = StreamPosition(seq: seq, epoch: epoch)
                }
            }
            return .subscribe(id: id, streams: streams, since: since)
        case "unsubscribe":
            return .unsubscribe(id: id, streams: try streamList(members, id: id))
        case "custom":
            guard let streamMember = members["event_type"] else {
                throw TaskwireError(.badMessage, "field 'event_type' is missing", requestID: id)
            }
            guard let stream = streamMember.value.stringValue else {
                throw TaskwireError(.badMessage, "field 'event_type' must be a string", requestID: id)
            }
            let data: ByteBuffer
            if let dataMember = members["data"] {
                data = buffer.getSlice(
                    at: buffer.readerIndex + dataMember.range.lowerBound,
                    length: dataMember.range.count
                )!
            } else {
                data = ByteBuffer(staticString: "null")
            }
            return .custom(id: id, stream: stream, data: data)
        case "ping":
            return .ping(id: id)
        case "pong":
            return .pong
        case "refresh":
            guard let token = members["token"]?.value.stringValue, !token.isEmpty else {
                throw TaskwireError(.badMessage, "field 'token' must be a non-empty string", requestID: id)
            }
            return .refresh(id: id, token: token)
        default:
            let shown = type.count > 40 ? String(type.prefix(40)) + "…" : type
            throw TaskwireError(.unknownType, "unknown message type \"\(shown)\"", requestID: id)
        }
    }

    private static func streamList(_ members: [String: JSONMember], id: RequestID?) throws(TaskwireError) -> [String] {
        guard let member = members["event_types"] else {
            throw TaskwireError(.badMessage, "field 'event_types' is missing", requestID: id)
        }
        guard case .array(let items) = member.value else {
            throw TaskwireError(.badMessage, "field 'event_types' must be an array of strings", requestID: id)
        }
        var streams: [String] = []
        streams.reserveCapacity(items.count)
        for item in items {
            guard let s = item.stringValue else {
                throw TaskwireError(.badMessage, "field 'event_types' must be an array of strings", requestID: id)
            }
            streams.append(s)
        }
        return streams
    }
}
