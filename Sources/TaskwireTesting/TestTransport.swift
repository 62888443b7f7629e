public import NIOCore
public import TaskwireHub
public import TaskwireProtocol
import Synchronization

/// An in-memory ``ClientTransport`` that records what the hub sends, for tests without sockets.
///
/// Set ``isWritable`` to false to model a client that stopped reading; set it back and call
/// ``Hub/resumeOutput(of:)`` as a real transport would.
public final class TestTransport: ClientTransport, @unchecked Sendable {
    // @unchecked: state is guarded by `lock`; the hub calls it from the connection's executor.
    private struct State {
        var written: [ByteBuffer] = []
        var flushes = 0
        var pings = 0
        var closeCode: CloseCode?
        var aborted = false
        var writable = true
        var onWrite: (@Sendable (OutboundMessage) -> Void)?
    }
    private let state = Mutex(State())

    public init() {}

    public var isWritable: Bool {
        get { state.withLock { $0.writable } }
        set { state.withLock { $0.writable = newValue } }
    }

    /// Called after each message is written (on the hub's executor), e.g. to publish from
    /// within a fan-out round.
    public var onWrite: (@Sendable (OutboundMessage) -> Void)? {
        get { state.withLock { $0.onWrite } }
        set { state.withLock { $0.onWrite = newValue } }
    }

    public func write(_ message: OutboundMessage) {
        let onWrite = state.withLock { state in
            state.written.append(message.json)
            return state.onWrite
        }
        onWrite?(message)
    }

    public func flush() {
        state.withLock { $0.flushes += 1 }
    }

    public func sendPing() {
        state.withLock { $0.pings += 1 }
    }

    public func close(code: CloseCode, reason: String) {
        state.withLock { if $0.closeCode == nil { $0.closeCode = code } }
    }

    public func abort() {
        state.withLock { $0.aborted = true }
    }

    /// Every message written so far, as JSON text.
    public var messages: [String] { state.withLock { $0.written.map { String(buffer: $0) } } }

    /// Every message written so far, parsed.
    public var parsedMessages: [JSONValue] {
        state.withLock { state in
            state.written.map { buffer in
                (try? JSONParser.parse(Array(buffer.readableBytesView))) ?? .null
            }
        }
    }

    /// Removes and returns the messages written so far, parsed.
    public func take() -> [JSONValue] {
        let taken = parsedMessages
        state.withLock { $0.written.removeAll() }
        return taken
    }

    /// How many times output was flushed.
    public var flushCount: Int { state.withLock { $0.flushes } }
    /// How many transport pings were sent.
    public var pingCount: Int { state.withLock { $0.pings } }
    /// The close code the hub asked for, if any.
    public var closeCode: CloseCode? { state.withLock { $0.closeCode } }
    /// Whether the hub cut the connection.
    public var wasAborted: Bool { state.withLock { $0.aborted } }
}
