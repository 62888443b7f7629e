import Foundation
import NIOCore
import NIOEmbedded
import Testing
import TaskwireHub
import TaskwireProtocol

@testable import TaskwireWebSocket

/// Where an upgraded connection's frames go when they do not go to the socket with `send(2)`
/// (an embedded channel has no socket; `SocketDescriptorTests` and the e2e suite cover that
/// path): straight to the channel's core when nothing sits before its handler (the listener
/// without TLS), else down the pipeline (TLS).
@Suite("A connection's write path")
struct ConnectionWritePathTests {
    /// Counts the writes that pass through it.
    final class WriteSpy: ChannelOutboundHandler, @unchecked Sendable {
        typealias OutboundIn = ByteBuffer
        var writes = 0
        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            writes += 1
            context.write(data, promise: promise)
        }
    }

    @Test(arguments: [true, false])
    func framesReachTheSocketInOrder(writesToSocket: Bool) throws {
        let channel = EmbeddedChannel()
        let hub = try HandshakeHandlerTests.connect(channel, writesToSocket: writesToSocket, receiver: HandshakeOutcome())
        try channel.writeInbound(ByteBuffer(string: HandshakeHandlerTests.request()))
        let spy = WriteSpy()
        try channel.pipeline.syncOperations.addHandler(spy, position: .first)

        for n in 1...3 {
            hub.publish(ServerMessage.customBody(data: ByteBuffer(string: #"{"n":\#(n)}"#)), to: try StreamName(validating: "news"))
            channel.embeddedEventLoop.run()
        }

        var text = ""
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            text += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        let welcome = try #require(text.range(of: #""type":"welcome""#))
        let events = [1, 2, 3].compactMap { text.range(of: #"{"n":\#($0)}"#)?.lowerBound }
        #expect(events.count == 3 && events == events.sorted() && welcome.upperBound < events[0], "\(text)")
        // The spy was put before the connection's handler after the upgrade: only the
        // pipeline's walk passes through it.
        #expect(spy.writes == (writesToSocket ? 0 : 3))
    }
}
