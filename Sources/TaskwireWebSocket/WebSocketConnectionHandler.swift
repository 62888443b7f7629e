import Logging
import NIOCore
import NIOWebSocket
import TaskwireHub
import TaskwireProtocol

/// One upgraded WebSocket connection: reads frames (``WebSocketFrameReader``), reassembles and
/// inflates messages, hands them to the hub, and writes what the hub sends as pre-encoded
/// frames, packed into one buffer per round. Everything runs synchronously on the connection's
/// event loop, in this one handler.
final class WebSocketConnectionHandler: ChannelDuplexHandler, ClientTransport {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let hub: Hub
    private let executor: EventLoopExecutor
    /// The handshake's `subscribe` streams, until the connection is registered.
    private var subscriptions: [StreamName]
    private let access: Access
    private let maxMessageSize: Int
    private let logger: Logger
    private var inflater: MessageInflater?
    private let deflate: Bool

    private var context: ChannelHandlerContext?
    /// Whether this handler is the pipeline's first (no TLS before it).
    private let writesToSocket: Bool
    /// The channel's core, written to directly when ``writesToSocket``.
    private var core: (any ChannelCore)?
    /// The socket, sent to directly when ``writesToSocket`` and NIO's descriptor was found, and
    /// its channel, asked whether it is still active before each send.
    private var direct: (socket: SocketDescriptor, channel: any Channel)?
    /// Whether the next send looks for the socket first. The handshake's answer and the
    /// welcome go through NIO, so a connection that then stays idle never pays for the lookup.
    private var socketLookupDue = false
    /// Buffers handed to NIO (when ``writesToSocket``: what a full socket did not take, or
    /// what was sent before the socket was known) that it has not written yet: while there
    /// are any, later ones queue behind them there, to keep the order.
    private var queuedInChannel = 0
    private var writable = false
    private var client: HubClient?
    /// The start of a frame whose bytes have not all arrived.
    private var received: ByteBuffer?
    /// Bytes still to drop of a frame that was refused (too large, a bad control frame): the
    /// close handshake goes on with the frames after it.
    private var discarding: UInt64 = 0
    /// Frames written in this round, packed into one buffer.
    private var batch: ByteBuffer?
    /// A fragmented message being reassembled.
    private var assembling: (opcode: WebSocketOpcode, compressed: Bool, data: ByteBuffer)?
    private var closeSent = false
    private var readHeld = false

    /// - Parameters:
    ///   - writesToSocket: no handler sits before this one (no TLS): its writes go to the
    ///     socket, or else to the channel's core, instead of walking the pipeline to its head.
    ///   - response: bytes to send first, with the first frames (the handshake's `101`).
    init(
        hub: Hub,
        executor: EventLoopExecutor,
        subscriptions: [StreamName],
        access: Access,
        deflate: Bool,
        writesToSocket: Bool = false,
        response: ByteBuffer? = nil,
        logger: Logger
    ) {
        self.batch = response
        self.access = access
        self.writesToSocket = writesToSocket
        self.hub = hub
        self.executor = executor
        self.subscriptions = subscriptions
        self.maxMessageSize = hub.configuration.maxMessageSize
        self.deflate = deflate
        self.logger = logger
    }

    // MARK: Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if writesToSocket { core = context.channel._channelCore }
        writable = context.channel.isWritable
        do {
            if deflate { inflater = try MessageInflater() }
            client = try hub.addConnection(
                transport: self,
                on: executor,
                userID: access.userID,
                sessionID: access.sessionID,
                subscriptions: subscriptions,
                access: access,
                slotReserved: true
            )
            subscriptions = []
            flush()  // the response, if the hub had nothing to send with it
            socketLookupDue = writesToSocket
        } catch {
            hub.recordConnectionError()
            sendClose(code: .internalError, reason: "could not register the connection")
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let client {
            hub.removeConnection(client)
            self.client = nil
        }
        forgetChannel()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if let client {
            hub.removeConnection(client)
            self.client = nil
        }
        forgetChannel()
    }

    private func forgetChannel() {
        context = nil
        core = nil
        direct = nil
        socketLookupDue = false
        writable = false
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let client { hub.connectionFailed(client) }
        logger.debug("connection error", metadata: ["tw.client.id": "\(client?.id ?? "-")", "error.type": "\(error)"])
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The server allows half-closure for HTTP; a WebSocket peer that stops sending is gone.
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        writable = context.channel.isWritable
        if writable, let client { hub.resumeOutput(of: client) }
        context.fireChannelWritabilityChanged()
    }

    /// Holds reads while the hub's fan-out is behind, so a fast publisher cannot outrun it.
    func read(context: ChannelHandlerContext) {
        guard hub.isCongested else {
            context.read()
            return
        }
        guard !readHeld else { return }
        readHeld = true
        scheduleReadRetry(context: context)
    }

    private func scheduleReadRetry(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .milliseconds(1)) {
            let (handler, context) = loopBound.value
            guard handler.context != nil else { return }
            if handler.hub.isCongested {
                handler.scheduleReadRetry(context: context)
            } else {
                handler.readHeld = false
                context.read()
            }
        }
    }

    // MARK: Inbound frames

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if var pending = received {
            received = nil
            pending.writeBuffer(&bytes)
            bytes = pending
        }
        while self.context != nil {
            if discarding > 0 {
                let dropped = Int(min(discarding, UInt64(bytes.readableBytes)))
                bytes.moveReaderIndex(forwardBy: dropped)
                discarding -= UInt64(dropped)
                guard discarding == 0 else { return }
            }
            do throws(WebSocketFrameReader.Failure) {
                guard let frame = try WebSocketFrameReader.read(from: &bytes, maxPayload: maxMessageSize) else { break }
                handle(frame, context: context)
            } catch {
                switch error {
                case .tooLarge(let length):
                    sendClose(code: .messageTooBig, reason: "message larger than max_message_size")
                    discarding = length
                case .badControlFrame(let length):
                    sendClose(code: .protocolError, reason: "WebSocket protocol error")
                    discarding = length
                }
            }
        }
        if bytes.readableBytes > 0, self.context != nil { received = bytes }
    }

    private func handle(_ frame: ClientFrame, context: ChannelHandlerContext) {
        guard frame.masked else {
            // RFC 6455 5.1: a server must fail a connection whose client sends an unmasked frame.
            sendClose(code: .protocolError, reason: "client frames must be masked")
            return
        }
        if frame.opcode == .connectionClose {
            // Either the peer starts the close (echo its code) or it answers ours: done either way.
            var payload = frame.payload
            let received = payload.readInteger(as: UInt16.self) ?? 1000
            let sendable = (1000...4999).contains(received) && ![1004, 1005, 1006, 1015].contains(received)
            sendClose(code: sendable ? CloseCode(rawValue: received) : .normal, reason: "")
            context.close(promise: nil)
            return
        }
        guard let client, !closeSent else { return }
        guard !frame.otherReservedBits, !frame.rsv1 || (deflate && (frame.opcode == .text || frame.opcode == .binary)) else {
            sendClose(code: .protocolError, reason: "reserved bits set")
            return
        }
        switch frame.opcode {
        case .ping:
            // A fragmented or long control frame never gets here: WebSocketFrameReader refuses it.
            writeControl(opcode: 0xA, payload: frame.payload)
        case .pong:
            hub.handlePong(client)
        case .text, .binary:
            guard assembling == nil else {
                return sendClose(code: .protocolError, reason: "new message inside a fragmented one")
            }
            if frame.fin {
                complete(opcode: frame.opcode, compressed: frame.rsv1, data: frame.payload, client: client)
            } else {
                assembling = (frame.opcode, frame.rsv1, frame.payload)
            }
        case .continuation:
            guard var message = assembling else {
                return sendClose(code: .protocolError, reason: "continuation without a message")
            }
            var data = frame.payload
            guard message.data.readableBytes + data.readableBytes <= maxMessageSize else {
                assembling = nil
                return sendClose(code: .messageTooBig, reason: "message larger than max_message_size")
            }
            assembling = nil  // drop the reference so the append does not copy
            message.data.writeBuffer(&data)
            if frame.fin {
                complete(opcode: message.opcode, compressed: message.compressed, data: message.data, client: client)
            } else {
                assembling = message
            }
        default:
            sendClose(code: .protocolError, reason: "unknown opcode")
        }
    }

    private func complete(opcode: WebSocketOpcode, compressed: Bool, data: ByteBuffer, client: HubClient) {
        var data = data
        if compressed {
            guard let inflater else { return sendClose(code: .protocolError, reason: "compressed message without permessage-deflate") }
            do {
                data = try inflater.inflate(data, maxSize: maxMessageSize)
            } catch {
                if data.readableBytes > 0, "\(error)".contains("bufferOverflow") {
                    return sendClose(code: .messageTooBig, reason: "message larger than max_message_size")
                }
                return sendClose(code: .protocolError, reason: "corrupt compressed message")
            }
        }
        guard data.readableBytes <= maxMessageSize else {
            return sendClose(code: .messageTooBig, reason: "message larger than max_message_size")
        }
        if opcode == .text {
            hub.handleText(data, from: client)
        } else {
            hub.reject(TaskwireError(.badMessage, "binary frames are not accepted: send JSON in text frames"), from: client)
        }
    }

    // MARK: ClientTransport

    /// The channel's writability as its last change event told it: NIO reports each change on
    /// this loop, also one a write of ours causes, so asking the channel on every delivery
    /// (several atomic loads and reference counts) is not needed.
    var isWritable: Bool { writable }

    func write(_ message: OutboundMessage) {
        append(deflate ? PerMessageDeflate.compressedFrame(of: message) : message.frame)
    }

    func flush() {
        guard context != nil, let buffer = batch.take() else { return }
        send(buffer)
    }

    func sendPing() {
        writeControl(opcode: 0x9, payload: ByteBuffer())
    }

    func close(code: CloseCode, reason: String) {
        sendClose(code: code, reason: reason)
    }

    func abort() {
        context?.close(promise: nil)
    }

    // MARK: Output helpers

    private func writeControl(opcode: UInt8, payload: ByteBuffer) {
        guard context != nil, !closeSent else { return }
        append(WebSocketFramer.frame(payload: payload, opcode: opcode, rsv1: false))
        flush()
    }

    /// Packs `frame` into this round's buffer, after what the round wrote.
    private func append(_ frame: ByteBuffer) {
        if batch == nil {
            batch = frame
        } else {
            batch!.writeImmutableBuffer(frame)
        }
    }

    /// Writes `buffer` to the socket itself when it can, and through NIO what it cannot.
    private func send(_ buffer: consuming ByteBuffer) {
        if socketLookupDue, queuedInChannel == 0, let context {
            socketLookupDue = false
            direct = SocketDescriptor.of(context.channel).map { ($0, context.channel) }
        }
        if let (socket, channel) = direct, queuedInChannel == 0 {
            // NIO marks a channel inactive before it closes the descriptor, whose number may then be another's.
            guard channel.isActive else { return }
            switch socket.send(buffer) {
            case .sent(let count):
                guard count < buffer.readableBytes else { return }
                buffer.moveReaderIndex(forwardBy: count)
            case .wouldBlock:
                break
            case .failed(let error):
                // As NIO does when a write fails: the connection is gone (reset, most often).
                logger.debug("connection write failed", metadata: ["tw.client.id": "\(client?.id ?? "-")", "error.type": "\(error)"])
                channel.close(promise: nil)
                return
            }
        }
        queue(buffer)
    }

    /// Gives `buffer` to NIO, to write after what it holds already.
    private func queue(_ buffer: ByteBuffer) {
        guard let context else { return }
        var promise: EventLoopPromise<Void>?
        if writesToSocket {
            // NIO writes in order and completes each write once the socket took all of it.
            queuedInChannel += 1
            promise = context.eventLoop.makePromise()
            promise!.futureResult.assumeIsolated().whenComplete { _ in self.queuedInChannel -= 1 }
        }
        if let core {
            // What the pipeline's head would do with it, without the walk there.
            core.write0(wrapOutboundOut(buffer), promise: promise)
            core.flush0()
        } else {
            context.writeAndFlush(wrapOutboundOut(buffer), promise: promise)
        }
    }

    /// Sends a close frame once, then cuts the connection if the peer does not finish the
    /// handshake within `close_timeout`.
    private func sendClose(code: CloseCode, reason: String) {
        guard let context, !closeSent else { return }
        closeSent = true
        if let client, client.currentState == .connected || client.currentState == .connecting {
            hub.close(client, code: code, reason: reason)  // marks it disconnecting; calls back into close(), now a no-op
        }
        var payload = ByteBuffer()
        payload.writeInteger(code.rawValue)
        payload.writeString(String(decoding: reason.utf8.prefix(123), as: UTF8.self))
        append(WebSocketFramer.frame(payload: payload, opcode: 0x8, rsv1: false))
        flush()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: .nanoseconds(hub.configuration.closeTimeout.nanoseconds)) {
            loopBound.value.close(promise: nil)
        }
    }
}
