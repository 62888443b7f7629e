public import NIOCore
public import TaskwireProtocol
public import Synchronization

/// One message ready to go out, encoded once and shared by every connection it goes to.
public final class OutboundMessage: Sendable {
    /// The message's JSON text.
    public let json: ByteBuffer
    /// The message as the transport writes it (for WebSocket, a whole unmasked text frame).
    public let frame: ByteBuffer
    /// A derived encoding the transport computes at most once per message and shares between
    /// connections (the permessage-deflate frame).
    public let derivedFrame = Mutex<ByteBuffer?>(nil)
    /// Set by the publisher on a replaceable event (a task's progress update, keyed by task id):
    /// a newer message of the same stream with the same key makes this one obsolete, and a
    /// connection that has not been sent it yet skips it. Nil for events that must be delivered.
    public let coalescingKey: String?

    /// - Parameters:
    ///   - json: the message's JSON text.
    ///   - frame: the bytes the transport writes.
    ///   - coalescingKey: see ``coalescingKey``.
    public init(json: ByteBuffer, frame: ByteBuffer, coalescingKey: String? = nil) {
        self.json = json
        self.frame = frame
        self.coalescingKey = coalescingKey
    }

    /// A message whose frame ends with its JSON text: `json` shares the frame's storage.
    convenience init(frame: ByteBuffer, jsonLength: Int, coalescingKey: String? = nil) {
        let json = frame.getSlice(at: frame.writerIndex - jsonLength, length: jsonLength)!
        self.init(json: json, frame: frame, coalescingKey: coalescingKey)
    }
}

/// Frames a message once for the transport, so that fan-out writes the same bytes to everyone.
public protocol MessageFramer: Sendable {
    /// Turns a message's JSON text into the bytes the transport writes: a header (possibly
    /// empty) followed by the JSON text unchanged, which the hub then reads back as a slice
    /// of the frame rather than keeping a second copy.
    func frame(_ json: ByteBuffer) -> ByteBuffer
}

/// A framer that leaves the JSON text as it is (for transports that frame on their own, and tests).
public struct IdentityFramer: MessageFramer {
    public init() {}
    public func frame(_ json: ByteBuffer) -> ByteBuffer { json }
}

/// The hub's view of one connection's transport. Every call happens on the connection's executor.
///
/// The hub pulls a connection's output: while ``isWritable`` it hands over messages with
/// ``write(_:)`` (the transport packs them into one buffer) and ends each round with ``flush()``.
/// When the transport becomes writable again it calls ``Hub/resumeOutput(of:)``. So a connection
/// that cannot keep up holds no copies: its messages wait, shared, in the stream's log.
public protocol ClientTransport: AnyObject {
    /// Whether the connection can take more output now.
    var isWritable: Bool { get }
    /// Adds a message to the current round's output.
    func write(_ message: OutboundMessage)
    /// Sends everything written since the last flush.
    func flush()
    /// Sends a transport-level ping (a WebSocket ping frame).
    func sendPing()
    /// Starts closing the connection with `code`. The transport calls ``Hub/removeConnection(_:)``
    /// once the connection is gone.
    func close(code: CloseCode, reason: String)
    /// Cuts the connection at once, without a close handshake.
    func abort()
}
