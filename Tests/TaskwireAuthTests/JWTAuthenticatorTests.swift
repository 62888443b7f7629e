import Foundation
import JWTKit
import TaskwireAuth
import TaskwireHub
import TaskwireProtocol
import Testing

/// Token verification: every refusal names its reason; accepted tokens become rights.
@Suite struct JWTAuthenticatorTests {
    let secret = "unit-secret-0123456789-abcdefghijkl"

    private func token(_ claims: TaskwireClaims, secret: String? = nil) async throws -> String {
        try await TokenMinter(secret: secret ?? self.secret).mint(claims)
    }

    private func refusal(_ authenticator: JWTAuthenticator, _ token: String?) async -> String? {
        do {
            _ = try await authenticator.authenticate(token: token)
            return nil
        } catch {
            #expect(error.code == .unauthorized)
            return error.message
        }
    }

    @Test func aValidTokenGivesItsClaimsAsRights() async throws {
        let authenticator = try JWTAuthenticator(secret: secret, allowAnonymous: false)
        let expiry = Date().addingTimeInterval(600)
        let access = try await authenticator.authenticate(token: try await token(TaskwireClaims(
            sub: "alice", sid: "s1", exp: expiry, subscribe: ["task:*"], publish: ["chat.*"], api: ["tasks"]
        )))
        #expect(access.userID == "alice" && access.sessionID == "s1" && !access.admin)
        #expect(access.canSubscribe(to: .task("t1")) && !access.canSubscribe(to: .taskUpdated))
        let room = try StreamName(validating: "chat.room")
        let news = try StreamName(validating: "news")
        #expect(access.canPublish(on: room) && !access.canPublish(on: news))
        #expect(access.allows(.tasks) && !access.allows(.worker) && !access.allows(.admin) && access.allows(.open))
        let seconds = Double(access.expiresAt!.nanosecondsSinceEpoch) / 1e9
        #expect(abs(seconds - expiry.timeIntervalSince1970) < 1)
    }

    @Test func everyProblemIsRefusedWithItsReason() async throws {
        let authenticator = try JWTAuthenticator(secret: secret, allowAnonymous: false)
        #expect(await refusal(authenticator, nil)?.contains("required") == true)
        #expect(await refusal(authenticator, "")?.contains("required") == true)
        #expect(await refusal(authenticator, "not-a-token")?.contains("malformed") == true)
        #expect(await refusal(authenticator, try await token(TaskwireClaims(sub: "a"), secret: "another-secret-0123456789-abcdefghij"))?.contains("signature") == true)
        #expect(await refusal(authenticator, try await token(TaskwireClaims(sub: "a", exp: Date().addingTimeInterval(-5))))?.contains("expired") == true)
        #expect(await refusal(authenticator, try await token(TaskwireClaims(sub: "a", nbf: Date().addingTimeInterval(60))))?.contains("not valid yet") == true)
        #expect(await refusal(authenticator, try await token(TaskwireClaims(sub: "a", api: ["root"])))?.contains("api") == true)
        // alg none: a header and a payload with an empty signature.
        let header = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64URL
        let payload = Data(#"{"sub":"a","admin":true}"#.utf8).base64URL
        #expect(await refusal(authenticator, "\(header).\(payload).")?.contains("alg none") == true)
        let hs384 = Data(#"{"alg":"HS384","typ":"JWT"}"#.utf8).base64URL
        #expect(await refusal(authenticator, "\(hs384).\(payload).c2ln")?.contains("not accepted") == true)
    }

    @Test func anonymousAccessOnlyWhereAllowed() async throws {
        let open = try JWTAuthenticator(secret: nil, allowAnonymous: true)
        #expect(try await open.authenticate(token: nil) == .anonymous)
        // A token where no key is configured is refused, not ignored.
        #expect(await refusal(open, try await token(TaskwireClaims(sub: "a")))?.contains("not accepted") == true)
        #expect(open.algorithms.isEmpty)
    }

    @Test func shortSecretsAreRefused() {
        #expect(throws: TaskwireError.self) { try JWTAuthenticator(secret: "short", allowAnonymous: false) }
    }

    @Test func publicKeysMustBeUsablePEM() {
        #expect(throws: TaskwireError.self) {
            try JWTAuthenticator(secret: nil, publicKeys: [("bad.pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")], allowAnonymous: false)
        }
    }
}

extension Data {
    fileprivate var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
