import NIOCore
import NIOWebSocket
import Testing

@testable import TaskwireWebSocket

@Suite("Reading client frames")
struct WebSocketFrameReaderTests {
    /// A frame as a client sends it: masked with `mask` unless it is nil.
    static func frame(_ payload: [UInt8], opcode: UInt8 = 0x1, fin: Bool = true, mask: [UInt8]? = [1, 2, 3, 4], lengthBytes: Int? = nil) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt8(fin ? 0x80 : 0) | opcode)
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        switch lengthBytes ?? (payload.count < 126 ? 0 : payload.count <= 0xFFFF ? 2 : 8) {
        case 0: buffer.writeInteger(maskBit | UInt8(payload.count))
        case 2:
            buffer.writeInteger(maskBit | 126)
            buffer.writeInteger(UInt16(payload.count))
        default:
            buffer.writeInteger(maskBit | 127)
            buffer.writeInteger(UInt64(payload.count))
        }
        if let mask {
            buffer.writeBytes(mask)
            buffer.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        } else {
            buffer.writeBytes(payload)
        }
        return buffer
    }

    @Test func framesAreReadAndUnmaskedOneAfterTheOther() throws {
        var buffer = Self.frame(Array("hello".utf8))
        var second = Self.frame(Array(repeating: 7, count: 300), opcode: 0x2, fin: false)
        buffer.writeBuffer(&second)
        let first = try #require(try WebSocketFrameReader.read(from: &buffer, maxPayload: 1000))
        #expect(first.fin && first.masked && first.opcode == .text && !first.rsv1 && !first.otherReservedBits)
        #expect(String(buffer: first.payload) == "hello")
        let next = try #require(try WebSocketFrameReader.read(from: &buffer, maxPayload: 1000))
        #expect(!next.fin && next.opcode == .binary)
        #expect(Array(next.payload.readableBytesView) == Array(repeating: 7, count: 300))
        #expect(buffer.readableBytes == 0)
        #expect(try WebSocketFrameReader.read(from: &buffer, maxPayload: 1000) == nil)
    }

    @Test func aFrameNotFullyArrivedConsumesNothing() throws {
        let whole = Self.frame(Array(repeating: 1, count: 70_000))
        for cut in [1, 2, 5, 9, 13, 14, whole.readableBytes - 1] {
            var part = whole.getSlice(at: 0, length: cut)!
            #expect(try WebSocketFrameReader.read(from: &part, maxPayload: 100_000) == nil)
            #expect(part.readableBytes == cut)
        }
    }

    @Test func unmaskedFramesAreReportedSo() throws {
        var buffer = Self.frame(Array("x".utf8), mask: nil)
        let frame = try #require(try WebSocketFrameReader.read(from: &buffer, maxPayload: 10))
        #expect(!frame.masked && String(buffer: frame.payload) == "x")
    }

    @Test func aPayloadOverTheLimitIsRefusedFromItsHeaderWithTheFrameLength() {
        // Only the header has arrived: the refusal does not wait for the payload.
        var header = Self.frame(Array(repeating: 0, count: 5000)).getSlice(at: 0, length: 8)!
        #expect(throws: WebSocketFrameReader.Failure.tooLarge(frameLength: 5008)) {
            try WebSocketFrameReader.read(from: &header, maxPayload: 4096)
        }
        var huge = ByteBuffer(bytes: [0x81, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: WebSocketFrameReader.Failure.tooLarge(frameLength: .max)) {
            try WebSocketFrameReader.read(from: &huge, maxPayload: 4096)
        }
    }

    @Test func fragmentedOrLongControlFramesAreRefused() {
        var fragmentedPing = Self.frame([], opcode: 0x9, fin: false)
        #expect(throws: WebSocketFrameReader.Failure.badControlFrame(frameLength: 6)) {
            try WebSocketFrameReader.read(from: &fragmentedPing, maxPayload: 4096)
        }
        var longClose = Self.frame(Array(repeating: 0, count: 126), opcode: 0x8)
        #expect(throws: WebSocketFrameReader.Failure.badControlFrame(frameLength: 134)) {
            try WebSocketFrameReader.read(from: &longClose, maxPayload: 4096)
        }
    }
}

