import Logging
import NIOCore
import Synchronization
import TaskwireWebSocket

/// The listener's side of every handshake: WebSocket connections are the hub's and need
/// nothing more; HTTP connections are queued for the listener's task group, and tracked while
/// served so that a graceful shutdown can ask each to finish its request and close.
final class HTTPConnections: HandshakeReceiver {
    private struct State {
        var open: [ObjectIdentifier: any Channel] = [:]
        var quiescing = false
    }

    private let queue: AsyncStream<HandshakeResult>.Continuation
    private let logger: Logger
    private let state = Mutex(State())

    /// The connections handed over, to serve in the listener's task group.
    let handedOver: AsyncStream<HandshakeResult>

    init(logger: Logger) {
        (handedOver, queue) = AsyncStream.makeStream(of: HandshakeResult.self)
        self.logger = logger
    }

    func receive(_ outcome: Result<HandshakeResult, any Error>) {
        switch outcome {
        case .success(.websocket):
            return
        case .success(let result):
            if case .terminated = queue.yield(result) {
                // The listener has stopped: nobody will serve this connection.
                result.channel?.close(promise: nil)
            }
        case .failure(let error):
            logger.debug("connection setup failed", metadata: ["error.type": "\(String(reflecting: type(of: error)))"])
        }
    }

    /// No more connections will be served: the listener's socket is closed.
    func finish() {
        queue.finish()
    }

    /// Serves one HTTP connection with `serve`, tracked until it ends.
    func serving(_ channel: any Channel, _ serve: () async -> Void) async {
        let id = ObjectIdentifier(channel)
        let quiescing = state.withLock { state in
            state.open[id] = channel
            return state.quiescing
        }
        if quiescing { channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
        await serve()
        _ = state.withLock { $0.open.removeValue(forKey: id) }
    }

    /// Asks every HTTP connection served now, and any served from now on, to finish the request
    /// in flight and close.
    func quiesce() {
        let open = state.withLock { state in
            state.quiescing = true
            return Array(state.open.values)
        }
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }
}

extension HandshakeResult {
    /// The connection's channel, for an HTTP one.
    var channel: (any Channel)? {
        switch self {
        case .websocket: nil
        case .http(let channel), .refused(let channel, _): channel.channel
        }
    }
}
