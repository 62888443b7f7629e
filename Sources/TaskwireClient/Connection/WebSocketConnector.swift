import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// Opens WebSocket connections to a Taskwire server on plain SwiftNIO: a TCP (or TLS)
/// connection, the HTTP/1.1 upgrade to `/ws`, then an async channel of frames.
struct WebSocketConnector: Sendable {
    var address: ServerAddress
    var token: String?
    var maxFrameSize: Int
    var timeout: Duration

    private enum Upgrade: Sendable {
        case upgraded(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case refused
    }

    /// Connects and upgrades.
    ///
    /// - Throws: ``TaskwireClientError`` with ``TaskwireClientError/Code/connectionFailed``,
    ///   ``TaskwireClientError/Code/upgradeRefused`` or ``TaskwireClientError/Code/timeout``.
    func connect() async throws(TaskwireClientError) -> NIOAsyncChannel<WebSocketFrame, WebSocketFrame> {
        let address = self.address
        let token = self.token
        let maxFrameSize = self.maxFrameSize
        let sslContext: NIOSSLContext?
        do {
            sslContext = address.usesTLS ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
        } catch {
            throw TaskwireClientError(.connectionFailed, "cannot set up TLS: \(error)")
        }
        let upgrade: Upgrade
        do {
            let result = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.nanoseconds(Int64(timeout.seconds * 1e9)))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: address.host, port: address.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let sslContext {
                            let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: address.host)
                            try channel.pipeline.syncOperations.addHandler(tls)
                        }
                        return try Self.configureUpgrade(channel, address: address, token: token, maxFrameSize: maxFrameSize)
                    }
                }
            upgrade = try await withTimeout(timeout, "WebSocket handshake with \(address)") { try await result.get() }
        } catch let error as TaskwireClientError {
            throw error
        } catch {
            throw TaskwireClientError(.connectionFailed, "cannot connect to \(address): \(error)")
        }
        switch upgrade {
        case .upgraded(let channel): return channel
        case .refused:
            throw TaskwireClientError(.upgradeRefused, "\(address) refused the WebSocket upgrade of \(address.webSocketPath)")
        }
    }

    private static func configureUpgrade(
        _ channel: any Channel,
        address: ServerAddress,
        token: String?,
        maxFrameSize: Int
    ) throws -> EventLoopFuture<Upgrade> {
        let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(maxFrameSize: maxFrameSize) { channel, _ in
            channel.eventLoop.makeCompletedFuture {
                .upgraded(try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(wrappingChannelSynchronously: channel))
            }
        }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: address.hostHeader)
        if let token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: address.webSocketPath, headers: headers)
        let configuration = NIOTypedHTTPClientUpgradeConfiguration(
            upgradeRequestHead: head,
            upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in
                channel.eventLoop.makeCompletedFuture { .refused }
            }
        )
        var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
        // The server's first frames (`welcome`) may arrive in the same read as the 101 response.
        pipeline.leftOverBytesStrategy = .forwardBytes
        return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline)
    }
}
