import Crypto
import HTTPTypes
import NIOCore
import TaskwireHub
import TaskwireProtocol

/// The WebSocket handshake on the transport's path: checks the request's form, its origin and
/// its credentials, reserves a connection slot and writes the `101 Switching Protocols`
/// answer, negotiating permessage-deflate. A refusal is an ``UpgradeRefusal``, answered as
/// plain HTTP with the API's JSON error body.
struct WebSocketHandshake {
    let hub: Hub
    let configuration: WebSocketTransportConfiguration

    /// What an upgrade request asks for, once its form is checked.
    struct Request {
        var subscriptions: [StreamName]
        var key: String
        var deflate: Bool
        var token: String?
    }

    /// Checks the form of the request and its origin; reads its subscriptions and token.
    func check(_ head: UpgradeRequestHead) throws(UpgradeRefusal) -> Request {
        guard head.webSocketVersion.count == 1, head.webSocketVersion[0] == "13" else {
            var refusal = UpgradeRefusal.badRequest("header 'Sec-WebSocket-Version' must be 13")
            refusal.headers[.secWebSocketVersion] = "13"
            throw refusal
        }
        guard head.webSocketKey.count == 1, let decodedKey = [UInt8](base64Encoded: head.webSocketKey[0]), decodedKey.count == 16 else {
            throw .badRequest("header 'Sec-WebSocket-Key' must be 16 bytes in base64")
        }
        if let allowed = configuration.allowedOrigins, let origin = head.origin.first, !allowed.contains(origin) {
            throw .forbidden("origin \"\(origin.prefix(200))\" is not allowed")
        }
        var subscriptions: [StreamName] = []
        var queryToken: String?
        for (name, value) in QueryParameters(of: head.target) {
            switch name {
            case "subscribe":
                for stream in value.split(separator: ",", omittingEmptySubsequences: false) {
                    do throws(TaskwireError) {
                        subscriptions.append(try StreamName(validating: String(stream)))
                    } catch {
                        throw .badRequest("query parameter 'subscribe': \(error.message)")
                    }
                }
            case "token":
                queryToken = queryToken ?? value
            default:
                break
            }
        }
        guard subscriptions.count <= hub.configuration.maxSubscriptionsPerConnection else {
            throw .badRequest("query parameter 'subscribe': at most \(hub.configuration.maxSubscriptionsPerConnection) streams")
        }
        let deflate = hub.configuration.enableCompression
            && PerMessageDeflate.acceptsOffer(in: head.extensions)
        let token = BearerToken.from(authorization: head.authorization.first) ?? queryToken
        return Request(subscriptions: subscriptions, key: head.webSocketKey[0], deflate: deflate, token: token)
    }

    /// What deciding a token's access takes.
    enum AccessDecision {
        /// Known at once: no authenticator, or no token.
        case decided(Result<Access, UpgradeRefusal>)
        /// The token must be verified by `authenticator`, with ``authenticate(_:with:on:completion:)``.
        case verify(any ClientAuthenticator)
    }

    /// Decides what `token` allows when that needs no waiting, so that most handshakes need no
    /// task and no closure.
    func access(for token: String?) -> AccessDecision {
        guard let authenticator = hub.authenticator else { return .decided(.success(.anonymous)) }
        guard let decided = authenticator.immediateAccess(token: token) else { return .verify(authenticator) }
        return .decided(decided.mapError { .unauthorized($0.message) })
    }

    /// Verifies `token` with `authenticator` and calls `completion` on `loop` with what it allows.
    func authenticate(
        _ token: String?,
        with authenticator: any ClientAuthenticator,
        on loop: any EventLoop,
        completion: @escaping (Result<Access, UpgradeRefusal>) -> Void
    ) {
        let promise = loop.makePromise(of: Access.self)
        promise.completeWithTask {
            do throws(TaskwireError) {
                return try await authenticator.authenticate(token: token)
            } catch {
                throw UpgradeRefusal.unauthorized(error.message)
            }
        }
        promise.futureResult.assumeIsolatedUnsafeUnchecked().whenComplete { result in
            completion(result.mapError { $0 as? UpgradeRefusal ?? .unauthorized("\($0)") })
        }
    }

    /// Checks what the credentials allow and reserves a connection slot.
    /// - Returns: the `101 Switching Protocols` response to write.
    func accept(_ request: Request, access: Access) throws(UpgradeRefusal) -> ByteBuffer {
        if let refused = request.subscriptions.first(where: { !access.canSubscribe(to: $0) }) {
            throw .forbidden("not permitted to subscribe to \"\(refused.rawValue)\"")
        }
        guard hub.reserveConnectionSlot() else {
            throw .unavailable("connection limit of \(hub.configuration.maxConnections) reached; retry later", retryAfterSeconds: 5)
        }
        var sha1 = Insecure.SHA1()
        sha1.update(data: Array(request.key.utf8) + Self.keyGUID)
        var response = ByteBuffer()
        response.reserveCapacity(request.deflate ? 256 : 160)
        response.writeStaticString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ")
        sha1.finalize().withUnsafeBytes { response.writeBase64($0) }
        if request.deflate {
            response.writeStaticString("\r\nSec-WebSocket-Extensions: ")
            response.writeString(PerMessageDeflate.responseHeader)
        }
        response.writeStaticString("\r\n\r\n")
        return response
    }

    /// RFC 6455's GUID appended to the client's key.
    private static let keyGUID = Array("258EAFA5-E914-47DA-95CA-C5AB0DC85B11".utf8)
}

/// The `name=value` pairs of a request target's query, percent-decoded (a pair whose encoding
/// is broken keeps its text as sent).
struct QueryParameters: Sequence {
    let query: Substring

    init(of target: String) {
        query = target.firstIndex(of: "?").map { target[target.index(after: $0)...] } ?? target[target.endIndex...]
    }

    func makeIterator() -> some IteratorProtocol<(String, String)> {
        query.split(separator: "&").lazy.map { pair -> (String, String) in
            let equals = pair.firstIndex(of: "=")
            let name = equals.map { pair[..<$0] } ?? pair
            let value = equals.map { pair[pair.index(after: $0)...] } ?? pair[pair.endIndex...]
            return (Self.decode(name), Self.decode(value))
        }.makeIterator()
    }

    private static func decode(_ text: Substring) -> String {
        text.utf8.contains(UInt8(ascii: "%")) ? String(percentDecoding: text) ?? String(text) : String(text)
    }
}
