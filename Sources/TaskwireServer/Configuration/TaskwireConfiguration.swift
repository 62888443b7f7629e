public import Logging
public import TaskwireHub
public import TaskwireQueue

/// Everything `taskwire serve` can be told: the hub's limits, the HTTP listener, the task store
/// and queue, logging.
///
/// Start from a preset (the seed's three `WebSocketConfig`s) and tweak it:
/// ```swift
/// var config = TaskwireConfiguration.highPerformance
/// config.hub.outboundQueueMessages = 512
/// config.http.port = 9000
/// ```
/// or read it from a JSON file, the environment and flags with
/// ``load(flags:environment:configFile:)`` (keys: ``Key``).
public struct TaskwireConfiguration: Sendable, Equatable {
    /// The preset the configuration started from (informational: logged at start).
    public var preset: Preset
    /// The hub: connection limits, heartbeat, queues.
    public var hub: HubConfiguration
    /// The HTTP listener and API.
    public var http: HTTP
    /// Where tasks are kept.
    public var store: Store
    /// The task queue's limits and timings.
    public var queue: QueueConfiguration
    /// The lowest level logged.
    public var logLevel: Logger.Level
    /// Credentials and who may connect.
    public var auth: Auth

    /// Creates a configuration; the defaults are the standard preset's.
    public init(
        preset: Preset = .standard,
        hub: HubConfiguration = .standard,
        http: HTTP = .init(),
        store: Store = .init(),
        queue: QueueConfiguration = .init(),
        logLevel: Logger.Level = .info,
        auth: Auth = .init()
    ) {
        self.auth = auth
        self.preset = preset
        self.hub = hub
        self.http = http
        self.store = store
        self.queue = queue
        self.logLevel = logLevel
    }

    /// Where tasks are kept.
    public struct Store: Sendable, Equatable {
        /// The SQLite database file, created when missing (a relative path is taken from the
        /// working directory), or a PostgreSQL URL, `postgres://user:password@host:port/database`
        /// (TLS only with `?sslmode=require`), for several nodes on one database.
        public var database: String

        /// Creates the store configuration.
        /// - Parameter database: the SQLite database file or PostgreSQL URL.
        public init(database: String = "taskwire.db") {
            self.database = database
        }

        /// Whether ``database`` is a PostgreSQL URL rather than a file.
        public var isPostgresURL: Bool {
            let lowered = database.lowercased()
            return lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://")
        }
    }

    /// Credentials (JWT) and who may connect.
    public struct Auth: Sendable, Equatable {
        /// Whether every request must carry valid credentials. Off (the development default),
        /// a request without a token is anonymous and may do everything.
        public var secure: Bool
        /// The HS256 secret tokens are signed with. Never logged.
        public var jwtSecret: String?
        /// PEM files of RSA (RS256) or P-256 (ES256) public keys that verify tokens.
        public var jwtPublicKeys: [String]
        /// The `Origin`s browsers may open a WebSocket from; nil allows any.
        public var allowedOrigins: [String]?

        public init(secure: Bool = false, jwtSecret: String? = nil, jwtPublicKeys: [String] = [], allowedOrigins: [String]? = nil) {
            self.secure = secure
            self.jwtSecret = jwtSecret
            self.jwtPublicKeys = jwtPublicKeys
            self.allowedOrigins = allowedOrigins
        }
    }

    /// The HTTP listener and API.
    public struct HTTP: Sendable, Equatable {
        /// The address to listen on (`0.0.0.0` for every interface).
        public var host: String
        /// The port to listen on (0 picks a free one).
        public var port: Int
        /// Largest HTTP request body accepted, in bytes; larger ones are answered 413.
        public var maxBodySize: Int
        /// A PEM certificate (chain) file: with ``tlsKey``, the server speaks `https://` and `wss://` only.
        public var tlsCertificate: String?
        /// The PEM private key file of ``tlsCertificate``.
        public var tlsKey: String?

        /// Creates the HTTP configuration.
        /// - Parameters:
        ///   - host: the address to listen on; the default serves this machine only.
        ///   - port: the port to listen on.
        ///   - maxBodySize: largest request body, in bytes.
        public init(host: String = "127.0.0.1", port: Int = 8080, maxBodySize: Int = 2 * 1024 * 1024) {
            self.host = host
            self.port = port
            self.maxBodySize = maxBodySize
        }
    }

    /// Balanced configuration for general use: ``HubConfiguration/standard``, a 2 MiB body limit.
    public static var standard: TaskwireConfiguration { Preset.standard.configuration }

    /// For high-volume traffic: ``HubConfiguration/highPerformance``, an 8 MiB body limit.
    public static var highPerformance: TaskwireConfiguration { Preset.highPerformance.configuration }

    /// Minimal resource use: ``HubConfiguration/lightweight``, a 128 KiB body limit.
    public static var lightweight: TaskwireConfiguration { Preset.lightweight.configuration }
}

extension TaskwireConfiguration {
    /// One of the three named starting points.
    ///
    /// Each preset's hub part is ``HubConfiguration``'s preset of the same name; its HTTP body
    /// limit is twice the hub's `max_message_size`, room for one largest message and its envelope,
    /// and its largest task payload is the hub's `max_message_size`.
    public struct Preset: Sendable, Hashable, CustomStringConvertible {
        private enum Kind: String, Sendable, Hashable {
            case standard
            case highPerformance = "high-performance"
            case lightweight
        }

        private let kind: Kind

        private init(_ kind: Kind) { self.kind = kind }

        /// The seed's standard configuration.
        public static let standard = Preset(.standard)
        /// The seed's high-performance configuration.
        public static let highPerformance = Preset(.highPerformance)
        /// The seed's lightweight configuration.
        public static let lightweight = Preset(.lightweight)

        /// Every preset.
        public static let all: [Preset] = [.standard, .highPerformance, .lightweight]

        /// Looks a preset up by name: `standard`, `high-performance` (or `high_performance`,
        /// `highPerformance`) or `lightweight`, in any case.
        public init?(name: String) {
            switch String(name.lowercased().map { $0 == "_" ? "-" : $0 }) {
            case "standard": self.init(.standard)
            case "high-performance", "highperformance": self.init(.highPerformance)
            case "lightweight": self.init(.lightweight)
            default: return nil
            }
        }

        /// The preset's name as flags and files spell it.
        public var name: String { kind.rawValue }

        public var description: String { name }

        /// The whole configuration this preset stands for.
        public var configuration: TaskwireConfiguration {
            let hub: HubConfiguration =
                switch kind {
                case .standard: .standard
                case .highPerformance: .highPerformance
                case .lightweight: .lightweight
                }
            return TaskwireConfiguration(
                preset: self,
                hub: hub,
                http: HTTP(maxBodySize: 2 * hub.maxMessageSize),
                queue: QueueConfiguration(maxPayloadSize: hub.maxMessageSize),
                logLevel: .info
            )
        }
    }
}
