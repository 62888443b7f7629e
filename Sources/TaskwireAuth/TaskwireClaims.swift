public import Foundation
public import JWTKit

/// The claims of a Taskwire token.
///
/// `sub` (the user), `sid` (the session), `exp` and `nbf` are the registered claims;
/// `subscribe` and `publish` list stream patterns (`task:*`), `api` the API families besides
/// admin (`tasks`, `worker`), `admin` grants everything.
public struct TaskwireClaims: JWTPayload, Equatable {
    public var sub: SubjectClaim?
    public var sid: String?
    public var exp: ExpirationClaim?
    public var nbf: NotBeforeClaim?
    public var subscribe: [String]?
    public var publish: [String]?
    public var api: [String]?
    public var admin: Bool?

    public init(
        sub: String? = nil,
        sid: String? = nil,
        exp: Date? = nil,
        nbf: Date? = nil,
        subscribe: [String]? = nil,
        publish: [String]? = nil,
        api: [String]? = nil,
        admin: Bool? = nil
    ) {
        self.sub = sub.map(SubjectClaim.init(value:))
        self.sid = sid
        self.exp = exp.map(ExpirationClaim.init(value:))
        self.nbf = nbf.map(NotBeforeClaim.init(value:))
        self.subscribe = subscribe
        self.publish = publish
        self.api = api
        self.admin = admin
    }

    /// Checks `exp` and `nbf` against now (the signature was checked before this is called).
    public func verify(using algorithm: some JWTAlgorithm) async throws {
        let now = Date()
        if let exp, now >= exp.value { throw ClaimProblem.expired }
        if let nbf, now < nbf.value { throw ClaimProblem.notYetValid }
    }

    /// Why valid-looking claims are refused.
    enum ClaimProblem: Error {
        case expired
        case notYetValid
    }
}
