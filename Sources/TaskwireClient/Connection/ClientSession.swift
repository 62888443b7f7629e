import NIOCore
import NIOWebSocket
import Synchronization
import TaskwireProtocol

/// One WebSocket connection of a ``TaskwireClient``, from the upgrade to its end: a writer task,
/// a read loop that dispatches messages, and a watchdog for the welcome deadline and heartbeat.
final class ClientSession: Sendable {
    private struct Shared {
        var handle: ConnectionHandle?
        var lastReceived: ContinuousClock.Instant
        var pingSent: ContinuousClock.Instant?
        var endReason: TaskwireClientError?
        var finished = false
    }

    private let client: TaskwireClient
    private let channel: any Channel
    private let id: UInt64
    private let clock = ContinuousClock()
    private let shared: Mutex<Shared>

    init(client: TaskwireClient, channel: any Channel) {
        self.client = client
        self.channel = channel
        self.id = client.makeLocalID()
        self.shared = Mutex(Shared(lastReceived: ContinuousClock().now))
    }

    /// Whether the server's `welcome` arrived.
    var welcomed: Bool { shared.withLock { $0.handle != nil } }

    /// Why the connection ended: nil for a close the client asked for.
    var endReason: TaskwireClientError? { shared.withLock { $0.endReason } }

    func run(
        inbound: NIOAsyncChannelInboundStream<WebSocketFrame>,
        outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>
    ) async throws {
        let (frames, continuation) = AsyncStream<WebSocketFrame>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { writers in
            writers.addTask {
                for await frame in frames { try await outbound.write(frame) }
            }
            defer { continuation.finish() }
            try await withThrowingTaskGroup(of: Void.self) { watchdogs in
                watchdogs.addTask { try await self.watch() }
                defer { watchdogs.cancelAll() }
                try await readLoop(inbound, outbound: continuation)
            }
        }
    }

    /// Records a failure that ended the connection, unless an earlier reason is known.
    func noteFailure(_ error: any Error) {
        shared.withLock { shared in
            guard shared.endReason == nil, !shared.finished else { return }
            shared.endReason = (error as? TaskwireClientError) ?? TaskwireClientError(.connectionLost, "connection failed: \(error)")
        }
    }

    /// Tells the client the connection is gone: requests waiting for an answer fail.
    func finish() {
        let closed = client.state.withLock { $0.isClosed }
        let handle = shared.withLock { shared in
            shared.finished = true
            if shared.endReason == nil, !closed {
                shared.endReason = TaskwireClientError(.connectionLost, "the server closed the connection")
            }
            return shared.handle
        }
        guard let handle else { return }
        let replies = client.state.withLock { $0.disconnected(handleID: handle.id) }
        let error = TaskwireClientError(.connectionLost, "the connection ended before the answer came")
        for reply in replies { reply.resume(throwing: error) }
    }

    // MARK: Reading

    private func readLoop(
        _ inbound: NIOAsyncChannelInboundStream<WebSocketFrame>,
        outbound: AsyncStream<WebSocketFrame>.Continuation
    ) async throws {
        let limit = client.configuration.maxMessageSize
        var message: ByteBuffer?
        for try await frame in inbound {
            let now = clock.now
            shared.withLock { $0.lastReceived = now }
            switch frame.opcode {
            case .text:
                message = frame.unmaskedData
            case .continuation:
                guard message != nil else { continue }
                var data = frame.unmaskedData
                message!.writeBuffer(&data)
            case .ping:
                outbound.yield(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData))
                continue
            case .connectionClose:
                closedByServer(frame.unmaskedData, outbound: outbound)
                return
            default:
                continue
            }
            if let pending = message, pending.readableBytes > limit {
                fail(TaskwireClientError(.invalidResponse, "the server sent a message over \(limit) bytes"))
                return
            }
            guard frame.fin, let text = message else { continue }
            message = nil
            try dispatch(IncomingMessage.decode(text), outbound: outbound)
        }
    }

    private func closedByServer(_ data: ByteBuffer, outbound: AsyncStream<WebSocketFrame>.Continuation) {
        var data = data
        let code = data.readInteger(as: UInt16.self)
        let reason = data.readString(length: data.readableBytes) ?? ""
        if !client.state.withLock({ $0.isClosed }) {
            let text = "the server closed the connection (\(code.map(String.init) ?? "no code")\(reason.isEmpty ? "" : ": \(reason)"))"
            shared.withLock { if $0.endReason == nil { $0.endReason = TaskwireClientError(.connectionLost, text) } }
        }
        var echo = ByteBuffer()
        echo.writeInteger(code ?? CloseCode.normal.rawValue)
        outbound.yield(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: echo))
        outbound.finish()
    }

    private func fail(_ error: TaskwireClientError) {
        shared.withLock { if $0.endReason == nil { $0.endReason = error } }
        channel.close(promise: nil)
    }

    private func dispatch(_ message: IncomingMessage, outbound: AsyncStream<WebSocketFrame>.Continuation) throws {
        switch message {
        case .welcome(let welcome):
            let handle = ConnectionHandle(id: id, welcome: welcome, outbound: outbound)
            shared.withLock { $0.handle = handle }
            guard let connected = client.state.withLock({ $0.connected(handle) }) else {
                handle.sendClose(code: CloseCode.normal.rawValue)
                return
            }
            let (waiters, resubscribe) = connected
            if let (requestID, streams, since) = resubscribe {
                handle.send(OutgoingMessage.subscribe(id: requestID, streams: streams, since: since))
            }
            client.emit(.connected(welcome))
            for waiter in waiters { waiter.resume(returning: handle) }
        case .event(let event):
            let subscribers = client.state.withLock { $0.accept(event) }
            for subscriber in subscribers { subscriber.yield(.event(event)) }
        case .ack(let requestID, let fields):
            let (reply, resubscription) = client.state.withLock { $0.takeAnswered(requestID) }
            if let resubscription { resubscribed(resubscription.streams, ack: fields) }
            reply?.resume(returning: fields)
        case .error(let requestID?, let code, let text):
            let error = TaskwireClientError(.server, text, serverCode: code)
            let (reply, resubscription) = client.state.withLock { $0.takeAnswered(requestID) }
            if resubscription != nil {
                // The server no longer accepts these subscriptions (credentials changed, limits): end them.
                let subscribers = client.state.withLock { state in state.subscribers.values.map(\.continuation) }
                for subscriber in subscribers { subscriber.finish(throwing: error) }
            }
            reply?.resume(throwing: error)
        case .error(nil, _, _), .pong, .unknown:
            break
        case .ping:
            shared.withLock { $0.handle }?.send(OutgoingMessage.pong())
        }
    }

    /// Marks a gap in every subscription of a stream the server could not recover.
    private func resubscribed(_ streams: [String], ack: JSONValue) {
        var recovered: [String: Bool] = [:]
        if case .object(let members)? = ack["recovered"] {
            for (stream, value) in members { recovered[stream] = value.boolValue ?? false }
        }
        for (stream, ok) in recovered.sorted(by: { $0.key < $1.key }) where !ok {
            let subscribers = client.state.withLock { $0.continuations(of: stream) }
            for subscriber in subscribers { subscriber.yield(.gap(stream: stream)) }
        }
        client.emit(.resubscribed(streams: streams, recovered: recovered))
    }

    // MARK: Watchdog

    /// Closes the connection when `welcome` does not come within the connect timeout, and, once
    /// connected, pings a silent server and closes the connection when it stays silent.
    private func watch() async throws {
        let configuration = client.configuration
        let start = clock.now
        while true {
            guard let handle = shared.withLock({ $0.handle }) else {
                if clock.now - start > configuration.connectTimeout {
                    fail(TaskwireClientError(.timeout, "no welcome within \(configuration.connectTimeout)"))
                    return
                }
                try await Task.sleep(for: .milliseconds(20))
                continue
            }
            let idle = configuration.idleTimeout ?? handle.welcome.pingInterval + .seconds(1)
            let dead = configuration.deadServerTimeout ?? handle.welcome.pongTimeout
            let tick = max(.milliseconds(10), min(.seconds(1), min(idle, dead) / 4))
            try await Task.sleep(for: tick)
            let now = clock.now
            let (last, pingSent) = shared.withLock { ($0.lastReceived, $0.pingSent) }
            if let pingSent, last < pingSent, now - pingSent > dead {
                fail(TaskwireClientError(.timeout, "the server did not answer for \(now - last): presumed dead"))
                return
            }
            if now - last > idle, pingSent == nil || last > pingSent! {
                shared.withLock { $0.pingSent = now }
                handle.send(OutgoingMessage.ping())
            }
        }
    }
}
