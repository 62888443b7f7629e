/// One condition `/readyz` checks: the store answers, the backplane is connected, …
///
/// ```swift
/// let check = ReadinessCheck(name: "store") { try await store.ping() }
/// ```
public struct ReadinessCheck: Sendable {
    /// Named in the 503 answer when the check fails.
    public var name: String
    /// How long the check may take before it counts as failed.
    public var timeout: Duration
    /// Returns when ready; throws when not.
    public var check: @Sendable () async throws -> Void

    /// Creates a check.
    /// - Parameters:
    ///   - name: named in the 503 answer when the check fails.
    ///   - timeout: how long the check may take before it counts as failed.
    ///   - check: returns when ready; throws when not.
    public init(name: String, timeout: Duration = .seconds(2), check: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.timeout = timeout
        self.check = check
    }

    /// A check that fails with `reason`, for use in ``check``: its reason is shown in the 503
    /// answer (other errors are logged, not shown).
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// Why the check failed; safe to show to clients.
        public var reason: String

        /// Creates a failure.
        public init(_ reason: String) { self.reason = reason }

        public var description: String { reason }
    }

    /// Runs the check within its timeout.
    /// - Returns: nil when ready, else why not.
    func run() async -> (any Error)? {
        let check = self.check
        let timeout = self.timeout
        return await withTaskGroup(of: (any Error)?.self) { group in
            group.addTask {
                do {
                    try await check()
                    return nil
                } catch {
                    return error
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return Failure("no answer within \(timeout)")
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
