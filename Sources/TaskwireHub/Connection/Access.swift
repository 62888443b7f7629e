public import TaskwireProtocol

/// What a connection or an HTTP request may do, from its credentials (a JWT's claims) or, where
/// the configuration allows it, as an anonymous client.
public struct Access: Sendable, Equatable {
    /// The user the credentials belong to (`sub`); nil for anonymous access.
    public var userID: String?
    /// The session (`sid`).
    public var sessionID: String?
    /// When the credentials expire (`exp`); a connection is closed with 4001 then, unless it
    /// sent a fresh token first.
    public var expiresAt: Timestamp?
    /// The streams it may subscribe to.
    public var subscribe: StreamPatterns
    /// The streams it may publish on.
    public var publish: StreamPatterns
    /// The HTTP API families it may use besides the admin API.
    public var api: Set<APIFamily>
    /// Admin rights: every stream, every API (connections, publish, notifications, metrics).
    public var admin: Bool

    public init(
        userID: String? = nil,
        sessionID: String? = nil,
        expiresAt: Timestamp? = nil,
        subscribe: StreamPatterns = .none,
        publish: StreamPatterns = .none,
        api: Set<APIFamily> = [],
        admin: Bool = false
    ) {
        self.userID = userID
        self.sessionID = sessionID
        self.expiresAt = expiresAt
        self.subscribe = subscribe
        self.publish = publish
        self.api = api
        self.admin = admin
    }

    /// Anonymous access where the configuration allows it (the development default): everything.
    public static let anonymous = Access(subscribe: .all, publish: .all, api: Set(APIFamily.allCases), admin: true)

    public func canSubscribe(to stream: StreamName) -> Bool { admin || subscribe.matches(stream.rawValue) }
    public func canPublish(on stream: StreamName) -> Bool { admin || publish.matches(stream.rawValue) }
    /// Whether it may use `family` of the HTTP API.
    public func allows(_ family: APIFamily) -> Bool {
        switch family {
        case .open: return true
        case .admin: return admin
        case .tasks, .worker: return admin || api.contains(family)
        }
    }
}

/// The families of the HTTP API, each with its own right.
public enum APIFamily: String, Sendable, Hashable, CaseIterable {
    /// Health, the OpenAPI document, the dashboard's files: no right needed.
    case open
    /// Producers: submit, read, list, cancel and retry tasks, queue status.
    case tasks
    /// Workers: claim, progress, heartbeat, complete, fail.
    case worker
    /// Connections, publish, notifications, metrics.
    case admin
}

/// Stream name patterns such as `task:*`, `news`, `chat.*.room`: `*` stands for any run of
/// characters (none included); everything else matches itself.
public struct StreamPatterns: Sendable, Equatable {
    public let patterns: [String]

    public init(_ patterns: [String]) {
        self.patterns = patterns
    }

    public static let none = StreamPatterns([])
    public static let all = StreamPatterns(["*"])

    /// Whether `name` matches one of the patterns.
    public func matches(_ name: String) -> Bool {
        patterns.contains { Self.match(Array($0.utf8)[...], Array(name.utf8)[...]) }
    }

    private static func match(_ pattern: ArraySlice<UInt8>, _ name: ArraySlice<UInt8>) -> Bool {
        // Glob with `*` only: greedy with backtracking to the last star.
        var p = pattern.startIndex
        var n = name.startIndex
        var star: (p: Int, n: Int)?
        while n < name.endIndex {
            if p < pattern.endIndex, pattern[p] == UInt8(ascii: "*") {
                star = (p, n)
                p += 1
            } else if p < pattern.endIndex, pattern[p] == name[n] {
                p += 1
                n += 1
            } else if let s = star {
                p = s.p + 1
                n = s.n + 1
                star = (s.p, s.n + 1)
            } else {
                return false
            }
        }
        while p < pattern.endIndex, pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.endIndex
    }
}

/// Checks credentials: a JWT from `Authorization: Bearer` or the `token` query parameter.
public protocol ClientAuthenticator: Sendable {
    /// The access a client gets with `token`, or with none (nil).
    /// - Throws: ``TaskwireError`` `unauthorized` saying what is wrong (missing where required,
    ///   malformed, bad signature, algorithm not accepted, expired, not yet valid).
    func authenticate(token: String?) async throws(TaskwireError) -> Access

    /// The outcome of ``authenticate(token:)`` when it can be known without waiting (a request
    /// without a token, say), so that a handshake needs no task of its own; nil otherwise.
    func immediateAccess(token: String?) -> Result<Access, TaskwireError>?
}

extension ClientAuthenticator {
    /// Nil: every token goes through ``authenticate(token:)``.
    public func immediateAccess(token: String?) -> Result<Access, TaskwireError>? { nil }
}
