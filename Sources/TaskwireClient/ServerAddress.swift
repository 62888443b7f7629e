/// Where a Taskwire server listens: `http://host:port` (or `https://`), optionally with a path
/// prefix when the server sits behind a proxy.
public struct ServerAddress: Sendable, Hashable, CustomStringConvertible {
    /// Whether to use TLS (`https` and `wss`).
    public var usesTLS: Bool
    /// The host name or address.
    public var host: String
    /// The TCP port.
    public var port: Int
    /// A path prefix without a trailing slash (usually empty).
    public var pathPrefix: String

    /// Parses `http://host[:port][/prefix]`; `https`, `ws` and `wss` are accepted too, and a
    /// bare `host:port` means `http`.
    ///
    /// - Throws: ``TaskwireClientError`` with code ``TaskwireClientError/Code/invalidAddress``.
    public init(_ text: String) throws(TaskwireClientError) {
        var rest = Substring(text)
        var tls = false
        if let range = rest.firstRange(of: "://") {
            switch rest[..<range.lowerBound].lowercased() {
            case "http", "ws": tls = false
            case "https", "wss": tls = true
            default: throw TaskwireClientError(.invalidAddress, "unsupported scheme in \"\(text)\": use http or https")
            }
            rest = rest[range.upperBound...]
        }
        let authority: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            var prefix = String(rest[slash...])
            while prefix.hasSuffix("/") { prefix.removeLast() }
            self.pathPrefix = prefix
        } else {
            authority = rest
            self.pathPrefix = ""
        }
        var host = authority
        var port = tls ? 443 : 80
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()) else { throw TaskwireClientError(.invalidAddress, "bad port in \"\(text)\"") }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let p = Int(authority[authority.index(after: colon)...]) else {
                throw TaskwireClientError(.invalidAddress, "bad port in \"\(text)\"")
            }
            port = p
        }
        guard !host.isEmpty, (1...65535).contains(port) else {
            throw TaskwireClientError(.invalidAddress, "\"\(text)\" names no host, or a port outside 1…65535")
        }
        self.usesTLS = tls
        self.host = String(host)
        self.port = port
    }

    /// The HTTP URL of `path` (which starts with `/`) on this server.
    public func httpURL(_ path: String) -> String {
        "\(usesTLS ? "https" : "http")://\(hostForURL):\(port)\(pathPrefix)\(path)"
    }

    /// The path of the WebSocket endpoint, prefix included.
    var webSocketPath: String { pathPrefix + "/ws" }

    /// The `Host` header value.
    var hostHeader: String { "\(hostForURL):\(port)" }

    private var hostForURL: String { host.contains(":") ? "[\(host)]" : host }

    public var description: String { httpURL("") }
}
