import DequeModule
import Synchronization

/// A lock for async code: one holder at a time, waiters let in first come, first served.
///
/// The store holds it around each write transaction, from `BEGIN` to the commit report, so
/// that one node's writes commit and report one at a time (see ``PostgresTaskStore``).
/// Waiting is not cancellable: a holder only runs one short transaction, and a transaction
/// whose connection fails ends with an error, which releases the lock.
final class AsyncLock: Sendable {
    private struct State {
        var locked = false
        var waiters: Deque<CheckedContinuation<Void, Never>> = []
    }

    private let state = Mutex(State())

    /// Runs `body` while holding the lock.
    func withLock<T>(_ body: () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        let acquired = state.withLock { state in
            guard !state.locked else { return false }
            state.locked = true
            return true
        }
        guard !acquired else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state in
                // Released between the two critical sections: take it at once.
                guard state.locked else {
                    state.locked = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Hands the lock to the first waiter (it stays locked), or unlocks it.
    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let next = state.waiters.popFirst() else {
                state.locked = false
                return nil
            }
            return next
        }
        next?.resume()
    }
}
