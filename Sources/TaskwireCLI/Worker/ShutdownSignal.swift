import Synchronization
import UnixSignals

/// SIGTERM and SIGINT for the worker: the first asks it to stop after the current tasks (or to
/// release them after the grace period), a second one releases them at once.
final class ShutdownSignal: Sendable {
    enum Level: Int, Comparable {
        case running, draining, releasing

        static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    private struct State {
        var level = Level.running
        var observers: [UInt64: AsyncStream<Level>.Continuation] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Escalates on every SIGTERM or SIGINT until cancelled.
    func handleSignals() async {
        for await _ in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
            escalate()
        }
    }

    /// The current level.
    var level: Level { state.withLock { $0.level } }

    /// Moves to the next level: running → draining → releasing.
    func escalate() {
        set(level == .running ? .draining : .releasing)
    }

    /// Moves to `level` (never back).
    func set(_ level: Level) {
        let observers: [AsyncStream<Level>.Continuation] = state.withLock { state in
            guard level > state.level else { return [] }
            state.level = level
            return Array(state.observers.values)
        }
        for observer in observers { observer.yield(level) }
    }

    /// Waits until the level is at least `level`.
    func wait(for level: Level) async {
        let (stream, continuation) = AsyncStream<Level>.makeStream()
        let id: UInt64? = state.withLock { state in
            if state.level >= level { return nil }
            state.nextID += 1
            state.observers[state.nextID] = continuation
            return state.nextID
        }
        guard let id else { return }
        defer { _ = state.withLock { $0.observers.removeValue(forKey: id) } }
        for await reached in stream where reached >= level { return }
    }

    /// Sleeps `duration`, returning early when the level reaches `level`.
    ///
    /// - Returns: true when the whole `duration` passed.
    func sleep(_ duration: Duration, unless level: Level) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { (try? await Task.sleep(for: duration)) != nil }
            group.addTask {
                await self.wait(for: level)
                return false
            }
            let first = await group.next()!
            group.cancelAll()
            return first && self.level < level
        }
    }
}
