import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOEmbedded
import Testing
import TaskwireHub

@testable import TaskwireWebSocket

/// The first handler of a connection on an embedded channel: what it writes, what the pipeline
/// becomes, and what it tells Hummingbird.
@Suite("The handshake handler")
struct HandshakeHandlerTests {
    let channel = EmbeddedChannel()
    let hub: Hub
    let result = HandshakeOutcome()

    init() throws {
        hub = try Self.connect(channel, maxConnections: 1, receiver: result)
    }

    /// A hub on `channel`'s event loop, a handshake handler in its pipeline, and the channel connected.
    static func connect(
        _ channel: EmbeddedChannel,
        maxConnections: Int = HubConfiguration.standard.maxConnections,
        writesToSocket: Bool = false,
        receiver: any HandshakeReceiver
    ) throws -> Hub {
        var configuration = HubConfiguration.standard
        configuration.maxConnections = maxConnections
        let hub = Hub(
            configuration: configuration,
            executors: [EventLoopExecutor(channel.embeddedEventLoop)],
            framer: WebSocketFramer(),
            logger: Logger(label: "taskwire.test")
        )
        try channel.pipeline.syncOperations.addHandler(
            HandshakeHandler(
                handshake: WebSocketHandshake(hub: hub, configuration: .init()),
                executor: hub.executors[0] as! EventLoopExecutor,
                http1: .init(),
                timeout: .seconds(10),
                writesToSocket: writesToSocket,
                logger: Logger(label: "taskwire.test"),
                receiver: receiver
            )
        )
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return hub
    }

    /// The RFC 6455 example request, with `extra` header lines.
    static func request(_ target: String = "/ws?subscribe=news", extra: String = "") -> String {
        "GET \(target) HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\(extra)\r\n"
    }

    private func outbound() throws -> String {
        var text = ""
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            text += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        return text
    }

    private func outcome() -> Result<HandshakeResult, any Error>? {
        result.current
    }

    @Test func anUpgradeIsAnsweredWith101ThenTheWelcome() throws {
        try channel.writeInbound(ByteBuffer(string: Self.request()))
        let text = try outbound()
        #expect(text.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
        #expect(text.contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"))
        #expect(text.contains(#""type":"welcome""#) && text.contains(#""subscriptions":["news"]"#))
        guard case .success(.websocket) = outcome() else {
            Issue.record("expected .websocket")
            return
        }
        #expect(hub.connectionCount == 1)
        #expect((try? channel.pipeline.syncOperations.handler(type: HandshakeHandler.self)) == nil)
    }

    @Test func aHeadInPiecesAndAFrameRightAfterItAreBothRead() throws {
        let bytes = Array(Self.request().utf8)
        try channel.writeInbound(ByteBuffer(bytes: bytes[..<10]))
        try channel.writeInbound(ByteBuffer(bytes: bytes[10..<60]))
        #expect(outcome() == nil)
        var rest = ByteBuffer(bytes: bytes[60...])
        var ping = WebSocketFrameReaderTests.frame(Array(#"{"type":"ping","id":7}"#.utf8))
        rest.writeBuffer(&ping)
        try channel.writeInbound(rest)
        let text = try outbound()
        #expect(text.contains("101 Switching Protocols") && text.contains(#""type":"welcome""#))
        #expect(text.contains(#""type":"pong""#), "the frame sent with the head is handled: \(text)")
    }

    @Test func aConnectionWithoutAHeadIsClosedAtTheTimeout() throws {
        try channel.writeInbound(ByteBuffer(string: "GET /ws HTTP/1.1\r\n"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
        guard case .failure = outcome() else {
            Issue.record("expected a failure")
            return
        }
    }

    @Test func otherRequestsGoToHTTPWithTheirBytes() throws {
        try channel.writeInbound(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"))
        guard case .success(.http) = outcome() else {
            Issue.record("expected .http")
            return
        }
        #expect((try? channel.pipeline.syncOperations.handler(type: HandshakeHandler.self)) == nil)
        #expect(try outbound().isEmpty)
    }

    @Test func anUpgradeOnAnotherPathGoesToHTTP() throws {
        try channel.writeInbound(ByteBuffer(string: Self.request("/elsewhere")))
        guard case .success(.http) = outcome() else {
            Issue.record("expected .http")
            return
        }
        #expect(hub.connectionCount == 0)
    }

    @Test func aRefusalIsHandedToHTTPAndCounted() throws {
        try channel.writeInbound(ByteBuffer(string: Self.request("/ws?subscribe=bad%20name")))
        guard case .success(.refused(_, let refusal)) = outcome() else {
            Issue.record("expected .refused")
            return
        }
        #expect(refusal.status == .badRequest && refusal.message.contains("subscribe"))
        #expect(hub.connectionCount == 0)
        #expect(try outbound().isEmpty, "the HTTP stack answers it")
    }

    @Test func aFullServerRefusesWith503() throws {
        #expect(hub.reserveConnectionSlot())
        try channel.writeInbound(ByteBuffer(string: Self.request()))
        guard case .success(.refused(_, let refusal)) = outcome() else {
            Issue.record("expected .refused")
            return
        }
        #expect(refusal.status == .serviceUnavailable && refusal.headers[.retryAfter] == "5")
    }
}
