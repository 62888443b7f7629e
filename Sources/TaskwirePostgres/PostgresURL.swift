import TaskwireProtocol

/// A PostgreSQL connection URL, `postgres://user:password@host:port/database?sslmode=require`,
/// taken apart.
///
/// `postgresql://` works too. The host defaults to `localhost`, the port to 5432, the database to
/// the user's name; user, password and database may be percent-encoded. Two query parameters are
/// read: `sslmode`, where `require` (or `verify-ca`, `verify-full`) turns TLS on and anything else
/// or none leaves it off; and `schema`, the schema of Taskwire's tables (letters, digits and `_`,
/// not starting with a digit, at most 63), so that several deployments can share one database.
/// ``redacted`` is the form to log: it never shows the password.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public var username: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    /// Whether the connection must use TLS (`sslmode=require`, `verify-ca` or `verify-full`).
    public var requiresTLS: Bool
    /// The schema of the tables (`schema=`); nil for the server's default.
    public var schema: String?

    public init(username: String, password: String?, host: String, port: Int = 5432, database: String, requiresTLS: Bool = false, schema: String? = nil) {
        self.username = username
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.requiresTLS = requiresTLS
        self.schema = schema
    }

    /// Parses `text`; nil when it is not a `postgres://` or `postgresql://` URL with a user name
    /// and a valid port.
    public init?(_ text: String) {
        var rest = Substring(text)
        let lowered = text.lowercased()
        if lowered.hasPrefix("postgres://") {
            rest = rest.dropFirst("postgres://".count)
        } else if lowered.hasPrefix("postgresql://") {
            rest = rest.dropFirst("postgresql://".count)
        } else {
            return nil
        }
        var query = Substring("")
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        var path = Substring("")
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        // The password may contain '@' only percent-encoded, but be lenient: split at the last one.
        guard let at = rest.lastIndex(of: "@") else { return nil }
        let userInfo = rest[..<at]
        let hostPort = rest[rest.index(after: at)...]
        let user: Substring
        var password: String?
        if let colon = userInfo.firstIndex(of: ":") {
            user = userInfo[..<colon]
            guard let decoded = String(percentDecoding: userInfo[userInfo.index(after: colon)...]) else { return nil }
            password = decoded
        } else {
            user = userInfo
        }
        guard let username = String(percentDecoding: user), !username.isEmpty else { return nil }
        var host = hostPort
        var port = 5432
        if hostPort.hasPrefix("[") {
            // An IPv6 literal: [::1]:5432.
            guard let close = hostPort.firstIndex(of: "]") else { return nil }
            host = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let value = Int(after.dropFirst()), (1...65535).contains(value) else { return nil }
                port = value
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            guard let value = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(value) else { return nil }
            port = value
            host = hostPort[..<colon]
        }
        guard let database = String(percentDecoding: path) else { return nil }
        var requiresTLS = false
        var schema: String?
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "sslmode":
                requiresTLS = ["require", "verify-ca", "verify-full"].contains(String(parts[1]))
            case "schema":
                guard Self.isValidSchema(parts[1]) else { return nil }
                schema = String(parts[1])
            default:
                continue
            }
        }
        self.init(
            username: username,
            password: password,
            host: host.isEmpty ? "localhost" : String(host),
            port: port,
            database: database.isEmpty ? username : database,
            requiresTLS: requiresTLS,
            schema: schema
        )
    }

    /// A schema name Taskwire accepts: `[A-Za-z_][A-Za-z0-9_]*`, at most 63 bytes.
    static func isValidSchema(_ name: Substring) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return name.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"): true
            default: false
            }
        }
    }

    /// The URL with the password replaced by `***`: safe to log.
    public var redacted: String {
        let secret = password == nil ? "" : ":***"
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let parameters = (requiresTLS ? ["sslmode=require"] : []) + (schema.map { ["schema=\($0)"] } ?? [])
        return "postgres://\(username)\(secret)@\(hostPart):\(port)/\(database)" + (parameters.isEmpty ? "" : "?" + parameters.joined(separator: "&"))
    }

    /// ``redacted``: a URL is only ever printed without its password.
    public var description: String { redacted }
}
