import HTTPTypes
import Crypto
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import TaskwireHub
import TaskwireProtocol

/// What the handshake decided, handed from `buildUpgradeResponse` to `upgrade` on the channel's loop.
struct AcceptedUpgrade {
    var subscriptions: [StreamName]
    var deflate: Bool
    var access: Access
}

/// The WebSocket handshake on `/ws`: checks the request, its origin and its credentials,
/// reserves a connection slot, negotiates permessage-deflate, and on success installs
/// Taskwire's own lean pipeline (the frame decoder and ``WebSocketConnectionHandler``) instead
/// of NIO's frame encoder and an async channel.
///
/// A refused request is not upgraded: the refusal is left in `refusal` and the request goes on
/// as plain HTTP, where ``TaskwireChildChannel`` answers it with the JSON error body.
struct WebSocketUpgrader: NIOTypedHTTPServerProtocolUpgrader {
    typealias UpgradeResult = TaskwireChildChannel.UpgradeResult

    let hub: Hub
    let configuration: WebSocketTransportConfiguration
    let executor: EventLoopExecutor
    let accepted: NIOLoopBoundBox<AcceptedUpgrade?>
    let refusal: NIOLoopBoundBox<UpgradeRefusal?>
    let logger: Logger

    var supportedProtocol: String { "websocket" }
    var requiredUpgradeHeaders: [String] { [] }

    /// What the request asks for, once its form is checked.
    private struct Request {
        var subscriptions: [StreamName]
        var key: String
        var deflate: Bool
        var token: String?
    }

    func buildUpgradeResponse(
        channel: any Channel,
        upgradeRequest: HTTPRequestHead,
        initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        let uri = URI(upgradeRequest.uri)
        guard uri.path == configuration.path else {
            // Not our endpoint: let the router answer it (404).
            return channel.eventLoop.makeFailedFuture(UpgradeRefusal.badRequest("not a WebSocket endpoint"))
        }
        let loop = channel.eventLoop
        let request: Request
        do {
            request = try check(upgradeRequest, uri: uri)
        } catch {
            return refuse(error, on: loop)
        }
        let promise = loop.makePromise(of: Access.self)
        if let authenticator = hub.authenticator, let decided = authenticator.immediateAccess(token: request.token) {
            // Decided at once (no token): no task, no hop off the event loop.
            switch decided {
            case .success(let access): promise.succeed(access)
            case .failure(let error): promise.fail(UpgradeRefusal.unauthorized(error.message))
            }
        } else if let authenticator = hub.authenticator {
            let token = request.token
            promise.completeWithTask {
                do throws(TaskwireError) {
                    return try await authenticator.authenticate(token: token)
                } catch {
                    throw UpgradeRefusal.unauthorized(error.message)
                }
            }
        } else {
            promise.succeed(.anonymous)
        }
        return promise.futureResult.flatMap { access in
            do throws(UpgradeRefusal) {
                return loop.makeSucceededFuture(try accept(request, access: access, initialResponseHeaders: initialResponseHeaders))
            } catch {
                return refuse(error, on: loop)
            }
        }.flatMapError { error in
            refuse(error as? UpgradeRefusal ?? .unauthorized("\(error)"), on: loop)
        }
    }

    private func refuse(_ error: UpgradeRefusal, on loop: any EventLoop) -> EventLoopFuture<HTTPHeaders> {
        if refusal.value == nil {
            refusal.value = error
            // A 503 was already counted when no slot could be reserved.
            if error.status != .serviceUnavailable { hub.recordConnectionError() }
        }
        return loop.makeFailedFuture(error)
    }

    /// Checks the form of the request and its origin; reads its subscriptions and token.
    private func check(_ request: HTTPRequestHead, uri: URI) throws(UpgradeRefusal) -> Request {
        guard request.method == .GET else {
            throw .badRequest("a WebSocket upgrade must be a GET request")
        }
        let versions = request.headers["Sec-WebSocket-Version"]
        guard versions.count == 1, versions[0] == "13" else {
            var refusal = UpgradeRefusal.badRequest("header 'Sec-WebSocket-Version' must be 13")
            refusal.headers[.secWebSocketVersion] = "13"
            throw refusal
        }
        let keys = request.headers["Sec-WebSocket-Key"]
        guard keys.count == 1, let decodedKey = try? [UInt8](base64Encoded: keys[0]), decodedKey.count == 16 else {
            throw .badRequest("header 'Sec-WebSocket-Key' must be 16 bytes in base64")
        }
        if let allowed = configuration.allowedOrigins, let origin = request.headers["Origin"].first, !allowed.contains(origin) {
            throw .forbidden("origin \"\(origin.prefix(200))\" is not allowed")
        }
        var subscriptions: [StreamName] = []
        let requested = uri.queryParameters[values: "subscribe"]
        for value in requested {
            for name in value.split(separator: ",", omittingEmptySubsequences: false) {
                do throws(TaskwireError) {
                    subscriptions.append(try StreamName(validating: String(name)))
                } catch {
                    throw .badRequest("query parameter 'subscribe': \(error.message)")
                }
            }
        }
        guard subscriptions.count <= hub.configuration.maxSubscriptionsPerConnection else {
            throw .badRequest("query parameter 'subscribe': at most \(hub.configuration.maxSubscriptionsPerConnection) streams")
        }
        let deflate = hub.configuration.enableCompression
            && PerMessageDeflate.acceptsOffer(in: request.headers["Sec-WebSocket-Extensions"])
        let token = BearerToken.from(authorization: request.headers["Authorization"].first)
            ?? uri.queryParameters["token"].map(String.init)
        return Request(subscriptions: subscriptions, key: keys[0], deflate: deflate, token: token)
    }

    /// Checks what the credentials allow, reserves a slot and answers the handshake.
    private func accept(_ request: Request, access: Access, initialResponseHeaders: HTTPHeaders) throws(UpgradeRefusal) -> HTTPHeaders {
        if let refused = request.subscriptions.first(where: { !access.canSubscribe(to: $0) }) {
            throw .forbidden("not permitted to subscribe to \"\(refused.rawValue)\"")
        }
        guard hub.reserveConnectionSlot() else {
            throw .unavailable("connection limit of \(hub.configuration.maxConnections) reached; retry later", retryAfterSeconds: 5)
        }
        accepted.value = AcceptedUpgrade(subscriptions: request.subscriptions, deflate: request.deflate, access: access)

        var headers = initialResponseHeaders
        var sha1 = Insecure.SHA1()
        sha1.update(data: Array((request.key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))
        headers.add(name: "Sec-WebSocket-Accept", value: String(base64Encoding: sha1.finalize()))
        if request.deflate {
            headers.add(name: "Sec-WebSocket-Extensions", value: PerMessageDeflate.responseHeader)
        }
        return headers
    }

    func upgrade(channel: any Channel, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<UpgradeResult> {
        channel.eventLoop.makeCompletedFuture {
            guard let upgrade = accepted.value else {
                throw UpgradeRefusal.badRequest("upgrade without a handshake")
            }
            accepted.value = nil
            let handler = WebSocketConnectionHandler(
                hub: hub,
                executor: executor,
                subscriptions: upgrade.subscriptions,
                access: upgrade.access,
                deflate: upgrade.deflate,
                logger: logger
            )
            try channel.pipeline.syncOperations.addHandler(
                ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: hub.configuration.maxMessageSize))
            )
            try channel.pipeline.syncOperations.addHandler(handler)
            return .websocket
        }
    }
}

extension String {
    /// Base64 of `bytes` (standard alphabet, padded).
    init<Bytes: Sequence<UInt8>>(base64Encoding bytes: Bytes) {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var i = 0
        while i < input.count {
            let b0 = input[i]
            let b1 = i + 1 < input.count ? input[i + 1] : 0
            let b2 = i + 2 < input.count ? input[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(i + 1 < input.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < input.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            i += 3
        }
        self = String(decoding: out, as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    /// Decodes standard padded base64; nil when the text is not that.
    init?(base64Encoded text: String) {
        var values: [UInt8] = []
        var padding = 0
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = c - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = c - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "/"): v = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            default: return nil
            }
            guard padding == 0 else { return nil }
            values.append(v)
        }
        guard (values.count + padding) % 4 == 0, padding <= 2 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i + 1 < values.count {
            out.append(values[i] << 2 | values[i + 1] >> 4)
            if i + 2 < values.count { out.append(values[i + 1] << 4 | values[i + 2] >> 2) }
            if i + 3 < values.count { out.append(values[i + 2] << 6 | values[i + 3]) }
            i += 4
        }
        self = out
    }
}
