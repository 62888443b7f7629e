import Crypto
import Foundation
import NIOCore
import NIOPosix

/// A server that accepts one WebSocket upgrade, sends `welcome`, and then never says anything
/// again, not even to a ping: what a client sees of a server that hung.
final class SilentServer: Sendable {
    private let channel: any Channel

    var port: Int { channel.localAddress?.port ?? 0 }

    init() async throws {
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(UpgradeThenSilence()) }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }

    func stop() async throws {
        try await channel.close()
    }
}

/// Answers the first request with a 101 and a `welcome` frame, then swallows every byte.
private final class UpgradeThenSilence: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var request = ""
    private var upgraded = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !upgraded else { return }
        var buffer = unwrapInboundIn(data)
        request += buffer.readString(length: buffer.readableBytes) ?? ""
        guard request.contains("\r\n\r\n") else { return }
        upgraded = true
        let key = request.split(separator: "\r\n")
            .first { $0.lowercased().hasPrefix("sec-websocket-key:") }
            .map { $0.dropFirst("sec-websocket-key:".count).trimmingCharacters(in: .whitespaces) } ?? ""
        let accept = Data(Insecure.SHA1.hash(data: Data((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))).base64EncodedString()
        var out = context.channel.allocator.buffer(capacity: 512)
        out.writeString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(accept)\r\n\r\n")
        let welcome = #"{"type":"welcome","client_id":"silent-1","user_id":null,"session_id":null,"subscriptions":[],"ping_interval_ms":30000,"pong_timeout_ms":10000,"max_message_size":1048576,"server":"silent"}"#
        out.writeInteger(UInt8(0x81))
        out.writeInteger(UInt8(126))
        out.writeInteger(UInt16(welcome.utf8.count))
        out.writeString(welcome)
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }
}
