import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import TaskwireHub

/// The first handler of every connection: reads the first request's head and either upgrades
/// it to Taskwire's WebSocket pipeline itself, or hands the connection, with the bytes read so
/// far, to the HTTP stack.
///
/// Most connections of a busy server are WebSockets, so their handshake skips NIO's HTTP
/// decoder, upgrade state machine and futures: the head is read in place, the `101` is written
/// as bytes, and the pipeline becomes ``WebSocketConnectionHandler`` alone.
/// Whatever is not a plainly readable upgrade on the transport's path (API calls, the
/// dashboard, odd requests) gets the full HTTP stack, as does a refused upgrade, which is
/// answered there with the API's JSON error body.
final class HandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let handshake: WebSocketHandshake
    private let executor: EventLoopExecutor
    private let http1: HTTP1Channel.Configuration
    private let timeout: TimeAmount
    private let writesToSocket: Bool
    private let logger: Logger
    private let receiver: any HandshakeReceiver

    private enum State {
        /// Reading the head.
        case reading
        /// Waiting for the token's verification.
        case authenticating
        /// Handed over (or failed): this handler is leaving the pipeline.
        case done
    }

    private var state = State.reading
    /// What arrived so far.
    private var received: ByteBuffer?
    /// How many of those bytes hold no complete head.
    private var searched = 0
    private var deadline: Scheduled<Void>?

    init(
        handshake: WebSocketHandshake,
        executor: EventLoopExecutor,
        http1: HTTP1Channel.Configuration,
        timeout: TimeAmount,
        writesToSocket: Bool = false,
        logger: Logger,
        receiver: any HandshakeReceiver
    ) {
        self.handshake = handshake
        self.executor = executor
        self.http1 = http1
        self.timeout = timeout
        self.writesToSocket = writesToSocket
        self.logger = logger
        self.receiver = receiver
    }

    /// The longest head read here: NIO's limit for the header fields plus room for the request line.
    private var maxHeadLength: Int { http1.httpDecoder.maxHeaderListSize + 8192 }

    func handlerAdded(context: ChannelHandlerContext) {
        // A connection that never completes its first request's head is cut, so that idle
        // sockets cannot pile up before any limit applies to them.
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = loopBound.value
            guard handler.state == .reading else { return }
            handler.fail(context: context, ChannelError.connectTimeout(handler.timeout))
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        guard state != .done else { return }
        finish()
        receiver.receive(.failure(ChannelError.ioOnClosedChannel))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        switch state {
        case .done:
            context.fireChannelRead(data)
            return
        case .reading, .authenticating:
            if received == nil {
                received = bytes
            } else {
                received!.writeBuffer(&bytes)
            }
        }
        guard state == .reading, let received else {
            // A client must wait for the 101 before it sends frames; one that floods meanwhile is cut.
            if (received?.readableBytes ?? 0) > maxHeadLength + handshake.hub.configuration.maxMessageSize {
                fail(context: context, ChannelError.inputClosed)
            }
            return
        }
        switch UpgradeRequestHead.scan(received, maxLength: maxHeadLength, searched: searched) {
        case .incomplete:
            searched = received.readableBytes
        case .notUpgrade:
            handOverToHTTP(context: context, refusal: nil)
        case .upgrade(let head, let length) where head.path == handshake.configuration.path:
            let request: WebSocketHandshake.Request
            do {
                request = try handshake.check(head)
            } catch {
                return handOverToHTTP(context: context, refusal: error)
            }
            switch handshake.access(for: request.token) {
            case .decided(let access):
                decide(access, context: context, request: request, headLength: length)
            case .verify(let authenticator):
                state = .authenticating
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                handshake.authenticate(request.token, with: authenticator, on: context.eventLoop) { access in
                    let (handler, context) = loopBound.value
                    guard handler.state == .authenticating else { return }
                    handler.decide(access, context: context, request: request, headLength: length)
                }
            }
        case .upgrade:
            // Not the WebSocket path: the router answers it.
            handOverToHTTP(context: context, refusal: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if state == .reading, let event = event as? ChannelEvent, event == .inputClosed, received != nil {
            // The client sent part of a request and stopped sending: the HTTP stack answers it.
            handOverToHTTP(context: context, refusal: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if state != .done {
            finish()
            receiver.receive(.failure(ChannelError.eof))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard state != .done else { return context.fireErrorCaught(error) }
        fail(context: context, error)
    }

    // MARK: Handing over

    private func decide(_ access: Result<Access, UpgradeRefusal>, context: ChannelHandlerContext, request: WebSocketHandshake.Request, headLength: Int) {
        switch access {
        case .success(let access):
            upgrade(context: context, request: request, access: access, headLength: headLength)
        case .failure(let refusal):
            handOverToHTTP(context: context, refusal: refusal)
        }
    }

    /// Answers the handshake and makes the pipeline Taskwire's WebSocket one.
    private func upgrade(context: ChannelHandlerContext, request: WebSocketHandshake.Request, access: Access, headLength: Int) {
        let response: ByteBuffer
        do {
            response = try handshake.accept(request, access: access)
        } catch {
            return handOverToHTTP(context: context, refusal: error)
        }
        finish()
        var rest = received
        rest?.moveReaderIndex(forwardBy: headLength)
        received = nil
        do {
            try context.pipeline.syncOperations.addHandler(
                WebSocketConnectionHandler(
                    hub: handshake.hub,
                    executor: executor,
                    subscriptions: request.subscriptions,
                    access: access,
                    deflate: request.deflate,
                    writesToSocket: writesToSocket,
                    response: response,  // sent with the welcome the handler writes once registered
                    logger: logger
                )
            )
        } catch {
            // The connection handler was not added, so nothing registered the reserved slot.
            handshake.hub.releaseConnectionSlot()
            receiver.receive(.failure(error))
            context.close(promise: nil)
            return
        }
        context.flush()
        receiver.receive(.success(.websocket))
        leave(context: context, forwarding: rest)
    }

    /// Gives the connection to the HTTP stack: Hummingbird's responder, or the refusal's answer.
    private func handOverToHTTP(context: ChannelHandlerContext, refusal: UpgradeRefusal?) {
        finish()
        let forwarded = received
        received = nil
        do {
            let pipeline = context.pipeline.syncOperations
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = http1.httpDecoder.maxHeaderFieldSize
            limits.maxHeaderListSize = http1.httpDecoder.maxHeaderListSize
            limits.maxHeaderFieldCount = http1.httpDecoder.maxHeaderFieldCount
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false,
                withErrorHandling: false,
                withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: limits
            )
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandlers(http1.additionalChannelHandlers())
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: http1.idleTimeout.map { .init($0) }, logger: logger))
            let channel = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                wrappingChannelSynchronously: context.channel,
                configuration: .init(isOutboundHalfClosureEnabled: true)
            )
            if let refusal {
                // A 503 was already counted when no slot could be reserved.
                if refusal.status != .serviceUnavailable { handshake.hub.recordConnectionError() }
                receiver.receive(.success(.refused(channel, refusal)))
            } else {
                receiver.receive(.success(.http(channel)))
            }
        } catch {
            receiver.receive(.failure(error))
            context.close(promise: nil)
            return
        }
        leave(context: context, forwarding: forwarded)
    }

    private func finish() {
        state = .done
        deadline?.cancel()
        deadline = nil
    }

    /// Passes what was read on to the handlers that now own the connection, then leaves.
    private func leave(context: ChannelHandlerContext, forwarding bytes: ByteBuffer?) {
        if let bytes, bytes.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(bytes))
            context.fireChannelReadComplete()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func fail(context: ChannelHandlerContext, _ error: any Error) {
        finish()
        received = nil
        receiver.receive(.failure(error))
        context.close(promise: nil)
    }
}
