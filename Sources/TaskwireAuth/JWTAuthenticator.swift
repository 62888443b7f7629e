import Foundation
import JWTKit
public import TaskwireHub
public import TaskwireProtocol

/// Verifies JWTs and turns their claims into ``Access``: HS256 with a shared secret, RS256 and
/// ES256 with public keys from PEM files. Other algorithms, `alg: none` among them, are refused.
///
/// Without a token a client gets ``Access/anonymous`` where `allowAnonymous` is set (the
/// development default) and is refused otherwise.
public struct JWTAuthenticator: ClientAuthenticator {
    /// The keys that verify one algorithm; each collection holds one key, tried in turn.
    private let keys: [String: [JWTKeyCollection]]
    /// Completes once every key is in its collection (adding is asynchronous).
    private let loaded: Task<Void, Never>
    /// Whether a request without a token is let in as anonymous.
    public let allowAnonymous: Bool

    /// The shortest HS256 secret accepted: as long as SHA-256's output (RFC 7518 §3.2).
    public static let minimumSecretBytes = 32

    /// The algorithms this authenticator accepts, sorted.
    public var algorithms: [String] { keys.keys.sorted() }

    /// - Parameters:
    ///   - secret: the HS256 secret, if any.
    ///   - publicKeys: PEM texts of RSA (RS256) or P-256 (ES256) public keys, each with a name
    ///     for errors (its file).
    ///   - allowAnonymous: whether a request without a token is let in.
    /// - Throws: ``TaskwireError`` naming the key that is not a PEM public key it can use.
    public init(secret: String?, publicKeys: [(name: String, pem: String)] = [], allowAnonymous: Bool) throws(TaskwireError) {
        var keys: [String: [JWTKeyCollection]] = [:]
        var adds: [@Sendable () async -> Void] = []
        if let secret, !secret.isEmpty {
            guard secret.utf8.count >= Self.minimumSecretBytes else {
                throw TaskwireError(.badMessage, "the HS256 secret must be at least \(Self.minimumSecretBytes) bytes (SHA-256's output)")
            }
            let collection = JWTKeyCollection()
            let key = HMACKey(from: secret)
            adds.append { await collection.add(hmac: key, digestAlgorithm: .sha256) }
            keys["HS256", default: []].append(collection)
        }
        for (name, pem) in publicKeys {
            let collection = JWTKeyCollection()
            if let rsa = try? Insecure.RSA.PublicKey(pem: pem) {
                adds.append { await collection.add(rsa: rsa, digestAlgorithm: .sha256) }
                keys["RS256", default: []].append(collection)
            } else if let ec = try? ES256PublicKey(pem: pem) {
                adds.append { await collection.add(ecdsa: ec) }
                keys["ES256", default: []].append(collection)
            } else {
                throw TaskwireError(.badMessage, "\(name) is not a PEM RSA or P-256 (EC) public key")
            }
        }
        self.keys = keys
        self.loaded = Task { [adds] in
            for add in adds { await add() }
        }
        self.allowAnonymous = allowAnonymous
    }

    /// Without a token: anonymous access where allowed, else refused. A token needs verifying: nil.
    public func immediateAccess(token: String?) -> Result<Access, TaskwireError>? {
        guard token?.isEmpty ?? true else { return nil }
        return accessWithoutToken()
    }

    /// Anonymous access where allowed, else the refusal.
    private func accessWithoutToken() -> Result<Access, TaskwireError> {
        allowAnonymous ? .success(.anonymous) : .failure(TaskwireError(.unauthorized, "credentials are required: send a JWT"))
    }

    public func authenticate(token: String?) async throws(TaskwireError) -> Access {
        guard let token, !token.isEmpty else { return try accessWithoutToken().get() }
        let algorithm = try Self.algorithm(of: token)
        guard algorithm != "none" else { throw TaskwireError(.unauthorized, "unsigned tokens (alg none) are not accepted") }
        guard let candidates = keys[algorithm] else {
            let accepted = algorithms.isEmpty ? "none is configured" : "accepted: " + algorithms.joined(separator: ", ")
            throw TaskwireError(.unauthorized, "tokens signed with \(algorithm.prefix(16)) are not accepted (\(accepted))")
        }
        await loaded.value
        var lastError: (any Error)?
        for collection in candidates {
            do {
                return try Self.access(from: await collection.verify(token, as: TaskwireClaims.self))
            } catch let problem as TaskwireClaims.ClaimProblem {
                switch problem {
                case .expired: throw TaskwireError(.unauthorized, "the token has expired")
                case .notYetValid: throw TaskwireError(.unauthorized, "the token is not valid yet (nbf)")
                }
            } catch let error as TaskwireError {
                throw error
            } catch {
                lastError = error
            }
        }
        if let jwt = lastError as? JWTError, jwt.errorType == .malformedToken {
            throw TaskwireError(.unauthorized, "the token is malformed")
        }
        throw TaskwireError(.unauthorized, "the token's signature does not verify")
    }

    /// The `alg` of a token's header, read without trusting it.
    static func algorithm(of token: String) throws(TaskwireError) -> String {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Data(base64URLEncoded: String(parts[0])) else {
            throw TaskwireError(.unauthorized, "the token is malformed: expected three base64url parts")
        }
        guard case .object(let fields)? = try? JSONParser.parse(Array(header)), let alg = fields["alg"]?.stringValue else {
            throw TaskwireError(.unauthorized, "the token is malformed: its header has no 'alg'")
        }
        return alg
    }

    /// The access its claims give.
    static func access(from claims: TaskwireClaims) throws(TaskwireError) -> Access {
        var families: Set<APIFamily> = []
        for name in claims.api ?? [] {
            guard let family = APIFamily(rawValue: name), family == .tasks || family == .worker else {
                throw TaskwireError(.unauthorized, "claim 'api' names \"\(name.prefix(32))\": use tasks or worker")
            }
            families.insert(family)
        }
        return Access(
            userID: claims.sub?.value,
            sessionID: claims.sid,
            expiresAt: claims.exp.map { Timestamp(nanosecondsSinceEpoch: Int64($0.value.timeIntervalSince1970 * 1e9)) },
            subscribe: StreamPatterns(claims.subscribe ?? []),
            publish: StreamPatterns(claims.publish ?? []),
            api: families,
            admin: claims.admin ?? false
        )
    }
}

extension Data {
    /// Decodes unpadded base64url (RFC 4648 §5), as JWT parts are written.
    init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}

extension JWTAuthenticator {
    /// An authenticator with the secret and the public keys read from PEM files.
    /// - Throws: ``TaskwireError`` naming a file that cannot be read or holds no usable key.
    public init(secret: String?, publicKeyFiles: [String], allowAnonymous: Bool) throws(TaskwireError) {
        var keys: [(name: String, pem: String)] = []
        for path in publicKeyFiles {
            guard let data = FileManager.default.contents(atPath: path), let pem = String(data: data, encoding: .utf8) else {
                throw TaskwireError(.badMessage, "cannot read the public key file \(path)")
            }
            keys.append((path, pem))
        }
        try self.init(secret: secret, publicKeys: keys, allowAnonymous: allowAnonymous)
    }
}
