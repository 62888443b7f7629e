public import HummingbirdCore
import HTTPTypes
public import Logging
public import NIOCore
import NIOHTTP1
public import NIOHTTPTypes
import NIOHTTPTypesHTTP1
public import TaskwireHub
import TaskwireProtocol

/// The server's per-connection setup: HTTP/1.1 for the API, and on `/ws` an upgrade to
/// Taskwire's own synchronous WebSocket pipeline, on one port.
///
/// HTTP connections are served by Hummingbird's responder. A WebSocket connection, once
/// upgraded, needs no Swift task of its own: its handler lives in the channel pipeline and the
/// hub drives it from the event loop, so ``handle(value:logger:)`` returns at once for it.
public struct TaskwireChildChannel: ServerChildChannel, HTTPChannelHandler {
    /// How the HTTP request that opened the connection was dealt with.
    public enum UpgradeResult: Sendable {
        /// Upgraded: the connection now belongs to the hub.
        case websocket
        /// Plain HTTP.
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        /// An upgrade request that was refused: answer it with the refusal.
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, status: Int, code: String, message: String, headers: [(String, String)])
    }

    public struct Value: ServerChildChannelValue {
        let result: EventLoopFuture<UpgradeResult>
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

    /// Receive buffers of 64 bytes to 64 KiB, starting at 512.
    static let receiveBuffers = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 65536)

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            guard let executor = executors[ObjectIdentifier(channel.eventLoop)] else {
                preconditionFailure("the hub must run on the server's event loops")
            }
            // Most of a server's connections are idle WebSockets, and each keeps its receive
            // buffer between reads: start it at 512 bytes (NIO's default is 2 KiB), enough for
            // a handshake or a client message; NIO grows it when reads fill it.
            try channel.syncOptions?.setOption(ChannelOptions.recvAllocator, value: Self.receiveBuffers)
            let loop = channel.eventLoop
            let refusal = NIOLoopBoundBox<UpgradeRefusal?>(nil, eventLoop: loop)
            let accepted = NIOLoopBoundBox<AcceptedUpgrade?>(nil, eventLoop: loop)
            // A slot reserved by a handshake whose 101 never went out must be given back.
            channel.closeFuture.whenComplete { _ in
                loop.execute {
                    if accepted.value != nil {
                        accepted.value = nil
                        hub.releaseConnectionSlot()
                    }
                }
            }
            let upgrader = WebSocketUpgrader(
                hub: hub,
                configuration: configuration,
                executor: executor,
                accepted: accepted,
                refusal: refusal,
                logger: logger
            )
            let upgradeConfiguration = NIOTypedHTTPServerUpgradeConfiguration<UpgradeResult>(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandlers(http1.additionalChannelHandlers())
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPConnectionStateHandler(idleTimeout: http1.idleTimeout.map { .init($0) }, logger: logger)
                        )
                        let asyncChannel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(isOutboundHalfClosureEnabled: true)
                        )
                        if let refused = refusal.value {
                            return .refused(
                                asyncChannel,
                                status: refused.status.code,
                                code: refused.code,
                                message: refused.message,
                                headers: refused.headers.map { ($0.name.canonicalName, $0.value) }
                            )
                        }
                        return .http(asyncChannel)
                    }
                }
            )
            var pipeline = NIOUpgradableHTTPServerPipelineConfiguration<UpgradeResult>(upgradeConfiguration: upgradeConfiguration)
            pipeline.enablePipelining = false
            pipeline.enableErrorHandling = false
            pipeline.enableResponseHeaderValidation = false
            pipeline.decoderConfiguration.maxHeaderFieldSize = http1.httpDecoder.maxHeaderFieldSize
            pipeline.decoderConfiguration.maxHeaderListSize = http1.httpDecoder.maxHeaderListSize
            pipeline.decoderConfiguration.maxHeaderFieldCount = http1.httpDecoder.maxHeaderFieldCount
            let result = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: pipeline)
            return Value(result: result, channel: channel)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.result.get() {
            case .websocket:
                return
            case .http(let asyncChannel):
                await handleHTTP(asyncChannel: asyncChannel, logger: logger)
            case .refused(let asyncChannel, let status, let code, let message, let headers):
                await Self.writeRefusal(asyncChannel, status: status, code: code, message: message, headers: headers)
            }
        } catch {
            logger.debug("connection setup failed", metadata: ["error.type": "\(String(reflecting: type(of: error)))"])
        }
    }

    /// Answers a refused upgrade with the API's JSON error body, then closes the connection.
    private static func writeRefusal(
        _ asyncChannel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>,
        status: Int,
        code: String,
        message: String,
        headers: [(String, String)]
    ) async {
        var body = ByteBuffer()
        body.writeStaticString(#"{"error":{"code":"#)
        body.writeJSONString(code)
        body.writeStaticString(#","message":"#)
        body.writeJSONString(message)
        body.writeStaticString("}}")
        var fields: HTTPFields = [
            .contentType: "application/json; charset=utf-8",
            .contentLength: String(body.readableBytes),
            .connection: "close",
        ]
        for (name, value) in headers {
            if let field = HTTPField.Name(name) { fields[field] = value }
        }
        try? await asyncChannel.executeThenClose { _, outbound in
            try await outbound.write(contentsOf: [
                .head(HTTPResponse(status: .init(code: status), headerFields: fields)),
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
