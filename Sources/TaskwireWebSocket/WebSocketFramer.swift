public import NIOCore
public import TaskwireHub

/// Frames each message once as an unmasked WebSocket text frame, so that fan-out writes the
/// same bytes to every subscriber.
public struct WebSocketFramer: MessageFramer {
    public init() {}

    public func frame(_ json: ByteBuffer) -> ByteBuffer {
        Self.frame(payload: json, opcode: 0x1, rsv1: false)
    }

    /// A whole frame (FIN set) with `payload`.
    static func frame(payload: ByteBuffer, opcode: UInt8, rsv1: Bool) -> ByteBuffer {
        let length = payload.readableBytes
        var frame = ByteBuffer()
        frame.reserveCapacity(length + 10)
        frame.writeInteger(UInt8(0x80 | (rsv1 ? 0x40 : 0) | opcode))
        if length < 126 {
            frame.writeInteger(UInt8(length))
        } else if length <= Int(UInt16.max) {
            frame.writeInteger(UInt8(126))
            frame.writeInteger(UInt16(length))
        } else {
            frame.writeInteger(UInt8(127))
            frame.writeInteger(UInt64(length))
        }
        frame.writeImmutableBuffer(payload)
        return frame
    }
}
