import Foundation
import JWTKit
public import TaskwireProtocol

/// Signs HS256 tokens with the configured secret: for operators (`taskwire token`) and tests.
public struct TokenMinter: Sendable {
    private let keys: JWTKeyCollection

    /// - Throws: ``TaskwireError`` when `secret` is shorter than ``JWTAuthenticator/minimumSecretBytes``.
    public init(secret: String) async throws(TaskwireError) {
        guard secret.utf8.count >= JWTAuthenticator.minimumSecretBytes else {
            throw TaskwireError(.badMessage, "the HS256 secret must be at least \(JWTAuthenticator.minimumSecretBytes) bytes")
        }
        keys = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }

    /// A signed token carrying `claims`.
    public func mint(_ claims: TaskwireClaims) async throws(TaskwireError) -> String {
        do {
            return try await keys.sign(claims)
        } catch {
            throw TaskwireError(.internal, "cannot sign the token: \(error)")
        }
    }
}
