#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing

@testable import TaskwireWebSocket

/// Finding an accepted connection's socket in NIO's channel, and sending to it without NIO.
@Suite("A connection's socket descriptor")
struct SocketDescriptorTests {
    @Test func readsTheNumberFromNIOsDescription() {
        #expect(SocketDescriptor.descriptorNumber(in: "SocketChannel { BaseSocket { fd=42 }, active = true }") == 42)
        #expect(SocketDescriptor.descriptorNumber(in: "fd=7") == 7)
        #expect(SocketDescriptor.descriptorNumber(in: "EmbeddedChannel") == nil)
        #expect(SocketDescriptor.descriptorNumber(in: "BaseSocket { fd= }") == nil)
        #expect(SocketDescriptor.descriptorNumber(in: "fd=12345678901234") == nil, "too long for a descriptor")
    }

    @Test func aChannelWithoutASocketHasNone() {
        #expect(SocketDescriptor.of(EmbeddedChannel()) == nil)
    }

    @Test func findsAnAcceptedConnectionsSocketAndSendsToIt() async throws {
        try await withConnectedPair { accepted, client, received in
            let socket = try #require(SocketDescriptor.of(accepted))
            #expect(socket.rawValue == SocketDescriptor.descriptorNumber(in: "\(accepted)"))
            guard case .sent(5) = socket.send(ByteBuffer(string: "hello")) else {
                Issue.record("the send did not take all five bytes")
                return
            }
            #expect(await received.next(upTo: 5) == "hello")
        }
    }

    /// A peer that reads nothing: the socket takes a first part, then nothing until it reads.
    @Test func aFullSocketTakesPartThenWouldBlock() async throws {
        try await withConnectedPair(clientReads: false) { accepted, _, _ in
            let socket = try #require(SocketDescriptor.of(accepted))
            let big = ByteBuffer(repeating: 0x61, count: 64 << 20)
            guard case .sent(let first) = socket.send(big) else {
                Issue.record("nothing sent to an empty socket")
                return
            }
            #expect(first > 0 && first < big.readableBytes)
            var blocked = false
            for _ in 0..<100 where !blocked {
                switch socket.send(big) {
                case .wouldBlock: blocked = true
                case .sent: continue
                case .failed(let error): Issue.record("\(error)")
                }
            }
            #expect(blocked)
        }
    }

    /// A socket that cannot send any more fails the send with `EPIPE`, and raises no `SIGPIPE`
    /// (which would end this process).
    @Test func aSocketShutForWritingFailsTheSend() async throws {
        try await withConnectedPair { accepted, _, _ in
            let socket = try #require(SocketDescriptor.of(accepted))
            // On the channel's loop, as the connection handler sends: NIO cannot see the
            // shutdown (and close the descriptor) before the send.
            let result = try await accepted.eventLoop.submit {
                let shut = shutdown(socket.rawValue, CInt(SHUT_WR))
                return (shut, socket.send(ByteBuffer(string: "late")))
            }.get()
            #expect(result.0 == 0)
            guard case .failed(let error) = result.1 else {
                Issue.record("a send on a shut socket did not fail")
                return
            }
            #expect(error.errnoCode == EPIPE)
        }
    }

    // MARK: A loopback connection

    /// What the client side received, as text.
    final class Received: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        private var text = ""
        private var waiter: (count: Int, continuation: CheckedContinuation<String, Never>)?
        private let loop: any EventLoop
        init(loop: any EventLoop) { self.loop = loop }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            text += buffer.readString(length: buffer.readableBytes) ?? ""
            if let waiter, text.utf8.count >= waiter.count {
                self.waiter = nil
                waiter.continuation.resume(returning: text)
            }
        }

        func next(upTo count: Int) async -> String {
            await withCheckedContinuation { continuation in
                loop.execute {
                    if self.text.utf8.count >= count { continuation.resume(returning: self.text) } else { self.waiter = (count, continuation) }
                }
            }
        }
    }

    /// Accepts one connection on 127.0.0.1 and hands both ends to `body`.
    private func withConnectedPair(
        clientReads: Bool = true,
        _ body: (_ accepted: any Channel, _ client: any Channel, _ received: Received) async throws -> Void
    ) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let accepted = group.next().makePromise(of: (any Channel).self)
        let server = try await ServerBootstrap(group: group)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { channel in
                accepted.succeed(channel)
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let received = Received(loop: group.next())
        let client = try await ClientBootstrap(group: group)
            .channelOption(.autoRead, value: clientReads)
            .channelOption(.socketOption(.so_rcvbuf), value: 4096)
            .channelInitializer { $0.pipeline.addHandler(received) }
            .connect(to: server.localAddress!).get()
        let child = try await accepted.futureResult.get()
        do {
            try await body(child, client, received)
        } catch {
            try? await server.close()
            try? await group.shutdownGracefully()
            throw error
        }
        try? await client.close()
        try? await child.close()
        try await server.close()
        try await group.shutdownGracefully()
    }
}
