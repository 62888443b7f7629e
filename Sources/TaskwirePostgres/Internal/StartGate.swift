import Synchronization

/// Opens once, for good: callers of ``wait()`` before ``open()`` wait until it.
///
/// The store passes it before each use of its pool, and opens it when ``PostgresTaskStore/run()``
/// starts the pool, so that a request made while the services are still starting (the
/// migration, typically) waits for the pool instead of racing it.
final class StartGate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        guard !state.withLock({ $0.open }) else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let open = state.withLock { state in
                if !state.open { state.waiters.append(continuation) }
                return state.open
            }
            if open { continuation.resume() }
        }
    }
}
