import Synchronization
import TaskwireClient

/// Wakes the worker's idle loops as soon as a task becomes pending on its queue, from the
/// `queue:<name>` stream over the WebSocket, so a new task is claimed at once instead of at the
/// next poll. Polling stays as the fallback (the WebSocket may be down or refused).
final class QueueWakeups: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [UInt64: AsyncStream<Void>.Continuation] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Changes whenever a task became pending; read it before claiming, wait with it after.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// Subscribes to `queue:<queue>` and wakes the loops on every pending task, until cancelled.
    func watch(queue: String, configuration: TaskwireClientConfiguration) async {
        do {
            try await TaskwireClient.withClient(configuration: configuration) { client in
                try await client.withSubscription(to: ["queue:\(queue)"]) { subscription in
                    for try await item in subscription {
                        switch item {
                        case .event(let event):
                            if case .taskUpdate(let update) = event.message, update.status == "pending" { wake() }
                        case .gap:
                            wake()
                        }
                    }
                }
            }
        } catch is CancellationError {
            return
        } catch {
            Terminal.err("worker: no live wake-ups (\((error as? TaskwireClientError)?.message ?? "\(error)")); polling only")
        }
    }

    /// Wakes every waiting loop.
    func wake() {
        let waiters = state.withLock { state in
            state.generation &+= 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.finish() }
    }

    /// Returns once a task became pending after `generation` was read (at once if one did already).
    func wait(after generation: UInt64) async {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let id: UInt64? = state.withLock { state in
            guard state.generation == generation else { return nil }
            state.nextID += 1
            state.waiters[state.nextID] = continuation
            return state.nextID
        }
        guard let id else { return }
        for await _ in stream {}
        _ = state.withLock { $0.waiters.removeValue(forKey: id) }
    }
}
