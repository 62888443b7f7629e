import NIOCore
import NIOWebSocket

/// One frame a client sent, its payload unmasked.
struct ClientFrame {
    var fin: Bool
    var rsv1: Bool
    /// RSV2 or RSV3, which no negotiated extension uses.
    var otherReservedBits: Bool
    var opcode: WebSocketOpcode
    var masked: Bool
    var payload: ByteBuffer
}

/// Reads RFC 6455 frames from the bytes a connection received, in place, so that a WebSocket
/// connection needs no decoder handler of its own.
enum WebSocketFrameReader {
    /// Why the bytes are not a frame this server takes. `frameLength` counts the whole
    /// frame's bytes, header included, so that the caller can skip it.
    enum Failure: Error, Equatable {
        /// A payload longer than the largest message allowed.
        case tooLarge(frameLength: UInt64)
        /// A control frame that is fragmented or longer than 125 bytes.
        case badControlFrame(frameLength: UInt64)
    }

    /// Reads the next whole frame from `buffer`, or returns nil (consuming nothing) when its
    /// bytes have not all arrived.
    /// - Throws: ``Failure`` as soon as the frame's header shows it cannot be taken.
    static func read(from buffer: inout ByteBuffer, maxPayload: Int) throws(Failure) -> ClientFrame? {
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
            let second = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt8.self)
        else { return nil }
        let opcode = first & 0x0F
        let fin = first & 0x80 != 0
        let masked = second & 0x80 != 0
        var headerLength = 2
        var length = UInt64(second & 0x7F)
        if length == 126 {
            guard let word = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self) else { return nil }
            length = UInt64(word)
            headerLength += 2
        } else if length == 127 {
            guard let word = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt64.self) else { return nil }
            length = word
            headerLength += 8
        }
        let maskOffset = headerLength
        if masked { headerLength += 4 }
        let (frameLength, overflow) = length.addingReportingOverflow(UInt64(headerLength))
        if opcode & 0x08 != 0, !fin || length > 125 {
            throw .badControlFrame(frameLength: overflow ? .max : frameLength)
        }
        guard length <= UInt64(maxPayload) else { throw .tooLarge(frameLength: overflow ? .max : frameLength) }
        let total = headerLength + Int(length)
        guard buffer.readableBytes >= total else { return nil }
        let mask: WebSocketMaskingKey? =
            masked
            ? buffer.getBytes(at: buffer.readerIndex + maskOffset, length: 4).flatMap { WebSocketMaskingKey($0) }
            : nil
        buffer.moveReaderIndex(forwardBy: headerLength)
        var payload = buffer.readSlice(length: Int(length))!
        if let mask { payload.webSocketUnmask(mask) }
        return ClientFrame(
            fin: fin,
            rsv1: first & 0x40 != 0,
            otherReservedBits: first & 0x30 != 0,
            opcode: WebSocketOpcode(encodedWebSocketOpcode: opcode)!,
            masked: masked,
            payload: payload
        )
    }
}
