import Synchronization

/// Where one shard of the hub runs: a serial executor such as a SwiftNIO event loop.
///
/// All state of a shard (its connections and their subscriptions) is touched only on its
/// executor, so the fan-out hot path takes no lock and makes no `await` per subscriber.
public protocol HubExecutor: AnyObject, Sendable {
    /// Whether the caller is running on this executor now.
    var inExecutor: Bool { get }
    /// Runs `work` on this executor, in submission order.
    func execute(_ work: @escaping @Sendable () -> Void)
}

/// An executor that runs work at once on the caller's thread, for tests that drive the hub synchronously.
///
/// Work submitted while other work runs (on any thread) is queued and run by the thread already
/// running, right after the current item, so items never run concurrently and keep their order.
public final class ImmediateExecutor: HubExecutor {
    private struct State {
        var queue: [@Sendable () -> Void] = []
        var running = false
    }
    private let state = Mutex(State())

    public init() {}

    public var inExecutor: Bool { true }

    public func execute(_ work: @escaping @Sendable () -> Void) {
        let startRunning = state.withLock { state in
            state.queue.append(work)
            guard !state.running else { return false }
            state.running = true
            return true
        }
        guard startRunning else { return }
        while let next = state.withLock({ state -> (@Sendable () -> Void)? in
            guard !state.queue.isEmpty else {
                state.running = false
                return nil
            }
            return state.queue.removeFirst()
        }) {
            next()
        }
    }
}
