import CompressNIO
import NIOCore
import Synchronization
import TaskwireHub

/// permessage-deflate (RFC 7692) as Taskwire uses it: no context takeover in either direction,
/// so a broadcast message is compressed once and the same frame goes to every connection that
/// negotiated compression.
enum PerMessageDeflate {
    /// The response header value when an offer is accepted.
    static let responseHeader = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

    /// Messages shorter than this are sent uncompressed (allowed by RFC 7692: RSV1 clear).
    static let minimumSizeToCompress = 96

    /// Whether one of the client's `Sec-WebSocket-Extensions` offers can be accepted.
    ///
    /// An offer is accepted when it is `permessage-deflate` with only parameters this server can
    /// honour: it always compresses with a 15-bit window, so an offer that limits
    /// `server_max_window_bits` below 15 is declined.
    static func acceptsOffer(in headerValues: [String]) -> Bool {
        for offer in headerValues.flatMap({ $0.split(separator: ",") }) {
            let parts = offer.split(separator: ";").map { $0.trimmingCharacters(in: " \t") }
            guard parts.first?.lowercased() == "permessage-deflate" else { continue }
            var acceptable = true
            for param in parts.dropFirst() {
                let pair = param.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: " \t\"") }
                switch pair[0].lowercased() {
                case "server_no_context_takeover", "client_no_context_takeover":
                    acceptable = acceptable && pair.count == 1
                case "client_max_window_bits":
                    if pair.count == 2, let bits = Int(pair[1]), !(8...15).contains(bits) { acceptable = false }
                case "server_max_window_bits":
                    if pair.count != 2 || Int(pair[1]) != 15 { acceptable = false }
                default:
                    acceptable = false
                }
            }
            if acceptable { return true }
        }
        return false
    }

    /// The compressed frame of a message, computed once per message and shared.
    static func compressedFrame(of message: OutboundMessage) -> ByteBuffer {
        guard message.json.readableBytes >= minimumSizeToCompress else { return message.frame }
        return message.derivedFrame.withLock { cached in
            if let cached { return cached }
            let frame = compressors.withCompressor { compressor -> ByteBuffer in
                var json = message.json
                guard var compressed = try? json.compressStream(with: compressor, flush: .sync, allocator: ByteBufferAllocator()),
                    compressed.readableBytes > 4
                else {
                    return message.frame
                }
                try? compressor.reset()
                compressed.moveWriterIndex(to: compressed.writerIndex - 4)  // drop 00 00 ff ff (RFC 7692 7.2.1)
                guard compressed.readableBytes < message.json.readableBytes else { return message.frame }
                return WebSocketFramer.frame(payload: compressed, opcode: 0x1, rsv1: true)
            }
            cached = frame
            return frame
        }
    }

    private static let compressors = CompressorPool()
}

/// A few zlib compressors shared by all event loops (zlib state is large: one per message would be costly).
private final class CompressorPool: Sendable {
    // Holds non-Sendable compressors; each is used by one thread at a time, taken out under the lock.
    private let pool = Mutex<[UnsafeCompressor]>([])

    struct UnsafeCompressor: @unchecked Sendable {
        let compressor: ZlibCompressor
    }

    func withCompressor<T>(_ body: (ZlibCompressor) -> T) -> T {
        let taken = pool.withLock { $0.popLast() }
        let entry: UnsafeCompressor
        if let taken {
            entry = taken
        } else {
            // A failure to allocate zlib state is out of memory: nothing sensible is left to do.
            let compressor = try! ZlibCompressor(
                algorithm: .deflate,
                configuration: .init(windowSize: 15, compressionLevel: 6, memoryLevel: 8)
            )
            entry = UnsafeCompressor(compressor: compressor)
        }
        defer { pool.withLock { $0.append(entry) } }
        return body(entry.compressor)
    }
}

/// Inflates a connection's compressed messages, one message at a time (no context takeover).
final class MessageInflater {
    private let decompressor: ZlibDecompressor

    init() throws {
        decompressor = try ZlibDecompressor(algorithm: .deflate, windowSize: 15)
    }

    /// Inflates one whole message.
    /// - Throws: `CompressNIOError.bufferOverflow` (or similar) past `maxSize`, or on corrupt data.
    func inflate(_ payload: ByteBuffer, maxSize: Int) throws -> ByteBuffer {
        var input = payload
        input.writeBytes([0x00, 0x00, 0xFF, 0xFF])
        defer { try? decompressor.reset() }
        return try input.decompressStream(with: decompressor, maxSize: maxSize, allocator: ByteBufferAllocator())
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = self[...]
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
