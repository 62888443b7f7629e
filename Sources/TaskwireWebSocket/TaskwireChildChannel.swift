public import HummingbirdCore
import HTTPTypes
public import Logging
public import NIOCore
import NIOHTTPTypes
public import TaskwireHub
import TaskwireProtocol

/// The server's per-connection setup: HTTP/1.1 for the API, and on `/ws` an upgrade to
/// Taskwire's own synchronous WebSocket pipeline, on one port.
///
/// Every connection starts with a ``HandshakeHandler``, which upgrades WebSocket requests on
/// the transport's path itself and hands everything else to the HTTP stack, served by
/// Hummingbird's responder. A WebSocket connection needs no Swift task of its own: its handler
/// lives in the channel pipeline and the hub drives it from the event loop, so
/// ``handle(value:logger:)`` returns as soon as the upgrade is done.
///
/// Under Hummingbird's own server every connection still gets a task; Taskwire's server
/// (`TaskwireListener`) uses ``configure(_:logger:receiver:firstInPipeline:)`` and ``serve(_:logger:)`` to
/// start tasks for HTTP connections only.
public struct TaskwireChildChannel: ServerChildChannel, HTTPChannelHandler {
    public struct Value: ServerChildChannelValue {
        let result: HandshakeOutcome
        public let channel: any Channel
    }

    public let responder: HTTPChannelHandler.Responder
    let hub: Hub
    let configuration: WebSocketTransportConfiguration
    let http1: HTTP1Channel.Configuration
    let executors: [ObjectIdentifier: EventLoopExecutor]

    /// - Parameters:
    ///   - hub: the hub; its executors must be ``EventLoopExecutor``s of the server's event loop group.
    ///   - responder: Hummingbird's HTTP responder.
    public init(
        hub: Hub,
        responder: @escaping HTTPChannelHandler.Responder,
        configuration: WebSocketTransportConfiguration,
        http1: HTTP1Channel.Configuration
    ) {
        self.hub = hub
        self.responder = responder
        self.configuration = configuration
        self.http1 = http1
        var executors: [ObjectIdentifier: EventLoopExecutor] = [:]
        for case let executor as EventLoopExecutor in hub.executors {
            executors[ObjectIdentifier(executor.eventLoop)] = executor
        }
        self.executors = executors
    }

    /// Receive buffers of 64 bytes to 64 KiB, starting at 256.
    static let receiveBuffers = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 65536)

    /// Prepares a new connection, on its event loop: small receive buffers, then the
    /// ``HandshakeHandler`` that reports to `receiver` how the first request was dealt with.
    /// - Parameter firstInPipeline: no handler was added before (no TLS), so a WebSocket
    ///   connection may write straight to the channel's core.
    package func configure(_ channel: any Channel, logger: Logger, receiver: any HandshakeReceiver, firstInPipeline: Bool = false) throws {
        guard let executor = executors[ObjectIdentifier(channel.eventLoop)] else {
            preconditionFailure("the hub must run on the server's event loops")
        }
        // Most of a server's connections are idle WebSockets, and each keeps its receive
        // buffer between reads: start it at 256 bytes (NIO's default is 2 KiB), enough for
        // a handshake or a client message; NIO grows it when reads fill it.
        try channel.syncOptions?.setOption(ChannelOptions.recvAllocator, value: Self.receiveBuffers)
        try channel.pipeline.syncOperations.addHandler(
            HandshakeHandler(
                handshake: WebSocketHandshake(hub: hub, configuration: configuration),
                executor: executor,
                http1: http1,
                timeout: .nanoseconds(configuration.handshakeTimeout.nanoseconds),
                writesToSocket: firstInPipeline,
                logger: logger,
                receiver: receiver
            )
        )
    }

    /// Serves a connection once its handshake is done: nothing more for a WebSocket (the hub
    /// has it), Hummingbird's responder for HTTP, the refusal's answer for a refused upgrade.
    package func serve(_ result: HandshakeResult, logger: Logger) async {
        switch result {
        case .websocket:
            return
        case .http(let asyncChannel):
            await handleHTTP(asyncChannel: asyncChannel, logger: logger)
        case .refused(let asyncChannel, let refusal):
            await Self.writeRefusal(asyncChannel, refusal)
        }
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let result = HandshakeOutcome()
            try configure(channel, logger: logger, receiver: result)
            return Value(result: result, channel: channel)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        switch await value.result.value() {
        case .success(let result):
            await serve(result, logger: logger)
        case .failure(let error):
            logger.debug("connection setup failed", metadata: ["error.type": "\(String(reflecting: type(of: error)))"])
        }
    }

    /// Answers a refused upgrade with the API's JSON error body, then closes the connection.
    private static func writeRefusal(_ asyncChannel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, _ refusal: UpgradeRefusal) async {
        var body = ByteBuffer()
        body.writeStaticString(#"{"error":{"code":"#)
        body.writeJSONString(refusal.code)
        body.writeStaticString(#","message":"#)
        body.writeJSONString(refusal.message)
        body.writeStaticString("}}")
        var fields: HTTPFields = [
            .contentType: "application/json; charset=utf-8",
            .contentLength: String(body.readableBytes),
            .connection: "close",
        ]
        fields.append(contentsOf: refusal.headers)
        try? await asyncChannel.executeThenClose { _, outbound in
            try await outbound.write(contentsOf: [
                .head(HTTPResponse(status: refusal.status, headerFields: fields)),
                .body(body),
                .end(nil),
            ])
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 for the API plus Taskwire's WebSocket transport on `configuration.path`, on one port.
    ///
    /// ```swift
    /// let app = Application(router: router, server: .taskwire(hub: hub), eventLoopGroupProvider: .shared(group))
    /// ```
    public static func taskwire(
        hub: Hub,
        configuration: WebSocketTransportConfiguration = .init(),
        http1: HTTP1Channel.Configuration = .init()
    ) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            TaskwireChildChannel(hub: hub, responder: responder, configuration: configuration, http1: http1)
        }
    }
}
