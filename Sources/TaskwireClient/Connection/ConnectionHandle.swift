import NIOCore
import NIOWebSocket

/// The writing side of one live connection: frames queued here are written in order by the
/// connection's writer task. Sending never waits, so it may happen under no lock and from any
/// context, `deinit` included.
struct ConnectionHandle: Sendable {
    /// Distinguishes connections, so that a request is never sent on one and awaited on the next.
    let id: UInt64
    let welcome: Welcome
    let outbound: AsyncStream<WebSocketFrame>.Continuation

    /// Queues a text message.
    func send(_ text: ByteBuffer) {
        outbound.yield(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: text))
    }

    /// Queues a control frame (ping, pong, close) with `data`.
    func sendControl(_ opcode: WebSocketOpcode, data: ByteBuffer = ByteBuffer()) {
        outbound.yield(WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: data))
    }

    /// Queues a close frame with `code`, then nothing more.
    func sendClose(code: UInt16) {
        var data = ByteBuffer()
        data.writeInteger(code)
        sendControl(.connectionClose, data: data)
        outbound.finish()
    }
}
