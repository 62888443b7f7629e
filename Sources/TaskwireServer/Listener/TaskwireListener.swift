#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization
import TaskwireWebSocket

/// Taskwire's server sockets: HTTP/1.1 and the WebSocket transport on one port, with one
/// listening socket per event loop (see ``bind(receiver:)``).
///
/// Each accepted connection gets, in its channel initializer, the TLS handler when configured
/// and then the ``TaskwireChildChannel``'s handshake handler. A WebSocket connection (most of
/// a busy server's) never needs a Swift task: its handshake and everything after run in its
/// pipeline, on its event loop. An HTTP connection is served by a task in the listener's task
/// group. (Hummingbird's own server makes a task for every connection and passes each through
/// an async sequence first: at thousands of handshakes a second, a good part of each one.)
///
/// On graceful shutdown the socket closes, each HTTP connection finishes the request in flight
/// and closes, and `run()` returns once they have; WebSocket connections are left to the hub,
/// which closes them with 1001 when its own service stops.
final class TaskwireListener: Service {
    /// Where and how to listen.
    struct Configuration: Sendable {
        var host: String
        var port: Int
        var backlog = 256
        var reuseAddress = true
        /// TLS for every connection, when set.
        var tls: NIOSSLContext?
    }

    private let connections: TaskwireChildChannel
    private let configuration: Configuration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let onServerRunning: @Sendable (any Channel) async -> Void

    init(
        connections: TaskwireChildChannel,
        configuration: Configuration,
        eventLoopGroup: any EventLoopGroup,
        logger: Logger,
        onServerRunning: @escaping @Sendable (any Channel) async -> Void
    ) {
        self.connections = connections
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.onServerRunning = onServerRunning
    }

    func run() async throws {
        let http = HTTPConnections(logger: logger)
        let sockets = try await bind(receiver: http)
        let server = sockets[0]
        let open = Mutex(sockets.count)
        for socket in sockets {
            socket.closeFuture.whenComplete { _ in
                if open.withLock({ $0 -= 1; return $0 == 0 }) { http.finish() }
            }
        }
        logger.info("Server started and listening on \(configuration.host):\(server.localAddress?.port ?? configuration.port)")
        let connections = connections
        let logger = logger
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await onServerRunning(server)
                await withDiscardingTaskGroup { group in
                    for await result in http.handedOver {
                        guard let channel = result.channel else { continue }
                        group.addTask {
                            await http.serving(channel) { await connections.serve(result, logger: logger) }
                        }
                    }
                }
            } onGracefulShutdown: {
                for socket in sockets { socket.close(promise: nil) }
                http.quiesce()
            }
        } onCancel: {
            for socket in sockets { socket.close(promise: nil) }
        }
    }

    /// Binds one listening socket per event loop, sharing the address with `SO_REUSEPORT`: the
    /// kernel spreads incoming connections over them, and each loop accepts and serves its own,
    /// with no hand-over between threads. With one event loop, one socket.
    ///
    /// Sockets that share a port with `SO_REUSEPORT` would also let another process that asks
    /// for the same share it, instead of failing; so the address is first bound once without
    /// the option, which fails as usual when anything listens there.
    private func bind(receiver: HTTPConnections) async throws -> [any Channel] {
        let loops = Array(eventLoopGroup.makeIterator())
        let sharingPort = loops.count > 1
        do {
            var port = configuration.port
            if sharingPort, port != 0 {
                try await bootstrap(on: loops[0], receiver: receiver, sharingPort: false)
                    .bind(host: configuration.host, port: port).get()
                    .close()
            }
            var sockets: [any Channel] = []
            do {
                for loop in loops {
                    let socket = try await bootstrap(on: loop, receiver: receiver, sharingPort: sharingPort).bind(host: configuration.host, port: port).get()
                    // Port 0: the kernel picked one for the first socket; the others share it.
                    port = socket.localAddress?.port ?? port
                    sockets.append(socket)
                }
            } catch {
                for socket in sockets { try? await socket.close() }
                throw error
            }
            return sockets
        } catch let error as IOError {
            throw ListenError(host: configuration.host, port: configuration.port, reason: String(cString: strerror(error.errnoCode)))
        } catch {
            throw ListenError(host: configuration.host, port: configuration.port, reason: "\(error)")
        }
    }

    /// A listening socket on `loop` whose connections stay on `loop`.
    private func bootstrap(on loop: any EventLoop, receiver: HTTPConnections, sharingPort: Bool) -> ServerBootstrap {
        let connections = connections
        let tls = configuration.tls
        let logger = logger
        return ServerBootstrap(group: loop, childGroup: loop)
            .serverChannelOption(ChannelOptions.backlog, value: numericCast(configuration.backlog))
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: configuration.reuseAddress ? 1 : 0)
            .serverChannelOption(ChannelOptions.Types.SocketOption(level: .socket, name: NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: sharingPort ? 1 : 0)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try connections.configure(channel, logger: logger, receiver: receiver, firstInPipeline: tls == nil)
                }
            }
    }
}

/// The listener could not take its address (in use, not this machine's, a privileged port…).
struct ListenError: Error, CustomStringConvertible {
    var host: String
    var port: Int
    var reason: String

    var description: String {
        "cannot listen on \(host):\(port) (http.host, http.port): \(reason)"
    }
}
