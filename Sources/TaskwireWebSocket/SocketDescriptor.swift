#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// The descriptor of a connection's TCP socket, written to with one `send(2)` per batch of
/// frames instead of through NIO's channel (its pending-write queue, lifecycle checks and
/// reference counts cost more than the system call on a fan-out's hot path).
///
/// NIO keeps owning the socket: it reads, closes, and writes whatever a `send` could not take.
/// The owner of a `SocketDescriptor` sends only on the channel's event loop, only while the
/// channel is active (NIO closes the descriptor on that loop, after marking the channel
/// inactive, so a closed one, whose number may be reused, is never written), and only while
/// nothing it gave NIO is still queued there, so bytes leave in the order they were written.
struct SocketDescriptor {
    let rawValue: CInt

    /// What one ``send(_:)`` did.
    enum SendResult {
        /// This many bytes went to the kernel: all of them, or the first part of the buffer.
        case sent(Int)
        /// The socket's send buffer is full.
        case wouldBlock
        /// The connection failed (reset by the peer, for one).
        case failed(IOError)
    }

    /// The descriptor of `channel`'s socket, or `nil` when there is none to write to: a channel
    /// that is not a plain TCP socket (TLS runs before the WebSocket handler, so its bytes must
    /// go through the pipeline), or one whose descriptor could not be confirmed.
    ///
    /// NIO does not hand its descriptor out, but prints it in the channel's description
    /// (`SocketChannel { BaseSocket { fd=42 }, … }`). The number read there is used only if the
    /// socket it names has the channel's own local and remote addresses, so a change in that
    /// text costs the fast path, never a write to another socket.
    static func of(_ channel: any Channel) -> SocketDescriptor? {
        guard let local = channel.localAddress, let remote = channel.remoteAddress,
            let number = descriptorNumber(in: String(describing: channel))
        else { return nil }
        guard addressMatches(remote, of: number, with: getpeername),
            addressMatches(local, of: number, with: getsockname)
        else { return nil }
        return SocketDescriptor(rawValue: number)
    }

    /// Sends as much of `buffer` as the socket takes now, without waiting and without `SIGPIPE`.
    func send(_ buffer: ByteBuffer) -> SendResult {
        buffer.withUnsafeReadableBytes { bytes in
            while true {
                let count = systemSend(rawValue, bytes.baseAddress, bytes.count, Self.flags)
                if count >= 0 { return .sent(count) }
                let code = errno
                switch code {
                case EINTR: continue
                case EAGAIN, EWOULDBLOCK: return .wouldBlock
                default: return .failed(IOError(errnoCode: code, reason: "send(2)"))
                }
            }
        }
    }

    #if os(Linux)
    private static let flags = CInt(MSG_NOSIGNAL | MSG_DONTWAIT)
    #else
    private static let flags = CInt(MSG_DONTWAIT)  // NIO sets SO_NOSIGPIPE on these systems
    #endif

    /// The number after `fd=` in NIO's description of a socket channel.
    static func descriptorNumber(in description: String) -> CInt? {
        guard let marker = description.utf8.firstRange(of: "fd=".utf8) else { return nil }
        let digits = description.utf8[marker.upperBound...].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard !digits.isEmpty, digits.count <= 9 else { return nil }
        return digits.reduce(CInt(0)) { $0 * 10 + CInt($1 - UInt8(ascii: "0")) }
    }

    private typealias AddressQuery = (CInt, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?) -> CInt

    /// Whether `query` (`getsockname` or `getpeername`) on `descriptor` gives `address`.
    private static func addressMatches(_ address: SocketAddress, of descriptor: CInt, with query: AddressQuery) -> Bool {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let found = withUnsafeMutableBytes(of: &storage) { raw in
            query(descriptor, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
        }
        guard found == 0 else { return false }
        return address.withSockAddr { expected, expectedLength in
            guard Int(length) == expectedLength else { return false }
            return withUnsafeBytes(of: &storage) { memcmp($0.baseAddress!, expected, expectedLength) == 0 }
        }
    }
}

@inline(__always)
private func systemSend(_ descriptor: CInt, _ bytes: UnsafeRawPointer?, _ count: Int, _ flags: CInt) -> Int {
    #if canImport(Glibc)
    Glibc.send(descriptor, bytes, count, flags)
    #elseif canImport(Musl)
    Musl.send(descriptor, bytes, count, flags)
    #else
    Darwin.send(descriptor, bytes, count, flags)
    #endif
}
