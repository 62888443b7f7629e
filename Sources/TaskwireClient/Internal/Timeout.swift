/// Runs `operation`, throwing ``TaskwireClientError/Code/timeout`` if it takes longer than `timeout`
/// (the operation is then cancelled).
func withTimeout<T: Sendable>(
    _ timeout: Duration,
    _ what: @autoclosure () -> String,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    let description = what()
    return try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw TaskwireClientError(.timeout, "\(description): no answer within \(timeout)")
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
