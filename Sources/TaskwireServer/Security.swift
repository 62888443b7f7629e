import HummingbirdCore
import HummingbirdTLS
import NIOSSL
import TaskwireAuth
import TaskwireHub
import TaskwireProtocol
import TaskwireWebSocket

/// The authenticator `configuration` describes: the secret and public keys that verify tokens,
/// and whether requests without one are anonymous.
/// - Throws: ``TaskwireConfigurationError`` naming the key file that cannot be used.
func makeAuthenticator(_ configuration: TaskwireConfiguration.Auth) throws(TaskwireConfigurationError) -> JWTAuthenticator {
    do {
        return try JWTAuthenticator(
            secret: configuration.jwtSecret,
            publicKeyFiles: configuration.jwtPublicKeys,
            allowAnonymous: !configuration.secure
        )
    } catch {
        let key: TaskwireConfiguration.Key = error.message.contains("secret") ? .authJWTSecret : .authJWTPublicKeys
        throw TaskwireConfigurationError(key: key.name, message: error.message)
    }
}

/// How connections are set up: HTTP/1.1 and the WebSocket on one port, over TLS when a
/// certificate is configured.
struct ConnectionSetup {
    /// Hummingbird's server with Taskwire's per-connection setup (for HummingbirdTesting's `.live`).
    var builder: HTTPServerBuilder
    /// TLS for Taskwire's listener.
    var tls: NIOSSLContext?
}

/// - Throws: ``TaskwireConfigurationError`` when the certificate or the key cannot be loaded.
func makeConnectionSetup(
    hub: Hub,
    transport: WebSocketTransportConfiguration,
    http: TaskwireConfiguration.HTTP
) throws(TaskwireConfigurationError) -> ConnectionSetup {
    let plain = HTTPServerBuilder.taskwire(hub: hub, configuration: transport)
    guard let certificate = http.tlsCertificate, let key = http.tlsKey else { return ConnectionSetup(builder: plain) }
    let chain: [NIOSSLCertificate]
    do {
        chain = try NIOSSLCertificate.fromPEMFile(certificate)
    } catch {
        throw TaskwireConfigurationError(key: TaskwireConfiguration.Key.httpTLSCert.name, message: "cannot load \(certificate): \(error)")
    }
    let privateKey: NIOSSLPrivateKey
    do {
        privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
    } catch {
        throw TaskwireConfigurationError(key: TaskwireConfiguration.Key.httpTLSKey.name, message: "cannot load \(key): \(error)")
    }
    let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
    do {
        return ConnectionSetup(
            builder: try HTTPServerBuilder.tls(plain, tlsConfiguration: tls),
            tls: try NIOSSLContext(configuration: tls)
        )
    } catch {
        throw TaskwireConfigurationError(key: TaskwireConfiguration.Key.httpTLSCert.name, message: "cannot set up TLS: \(error)")
    }
}

extension TaskwireConfiguration.Auth {
    /// The token algorithms accepted, for the start-up log (never the keys themselves).
    var algorithmsDescription: String {
        var algorithms: [String] = []
        if !(jwtSecret ?? "").isEmpty { algorithms.append("HS256") }
        if !jwtPublicKeys.isEmpty { algorithms.append("RS256/ES256 (\(jwtPublicKeys.count) key files)") }
        return algorithms.isEmpty ? "none" : algorithms.joined(separator: ", ")
    }
}
