import Synchronization
import NIOCore
import NIOWebSocket
import TaskwireProtocol

extension TaskwireClient {
    /// Connects, and reconnects after every disconnection as ``TaskwireClientConfiguration/reconnect``
    /// says, until ``close()`` is called or the task is cancelled. Call it once.
    ///
    /// After each reconnect it restores every subscription, resuming each stream from the last
    /// event seen (`since`).
    ///
    /// - Throws: ``TaskwireClientError`` with ``TaskwireClientError/Code/closed`` when it gives up
    ///   after ``ReconnectPolicy/maximumAttempts`` failures in a row (subscriptions end with that
    ///   error too), or when it is called a second time.
    public func run() async throws {
        let first: Bool = state.withLock { state in
            guard !state.running else { return false }
            state.running = true
            if case .idle = state.phase { state.phase = .connecting }
            return true
        }
        guard first else { throw TaskwireClientError(.closed, "run() was called twice") }
        let policy = configuration.reconnect
        var failures = 0
        while !state.withLock({ $0.isClosed }), !Task.isCancelled {
            emit(.connecting(attempt: failures + 1))
            let outcome = await connectOnce()
            if state.withLock({ $0.isClosed }) || Task.isCancelled { break }
            emit(.disconnected(outcome.error))
            failures = outcome.welcomed ? 1 : failures + 1
            if !policy.enabled {
                await giveUp(TaskwireClientError(.closed, "disconnected, and reconnection is off: \(outcome.error.map { "\($0)" } ?? "closed")"))
                return
            }
            if let maximum = policy.maximumAttempts, failures > maximum {
                let error = TaskwireClientError(.closed, "gave up after \(maximum) failed attempts: \(outcome.error.map { "\($0)" } ?? "closed")")
                await giveUp(error)
                throw error
            }
            let delay = policy.delay(afterFailures: failures)
            emit(.waiting(delay: delay, attempt: failures + 1))
            await sleepUnlessClosed(delay)
        }
        await close()
    }

    /// Ends everything with `error` (subscriptions finish throwing it).
    private func giveUp(_ error: TaskwireClientError) async {
        let subscribers = state.withLock { state in state.subscribers.values.map(\.continuation) }
        for subscriber in subscribers { subscriber.finish(throwing: error) }
        await close()
    }

    /// Waits `delay`, returning early when the client is closed.
    private func sleepUnlessClosed(_ delay: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: delay) }
            group.addTask { [self] in
                await withCheckedContinuation { (wake: CheckedContinuation<Void, Never>) in
                    let closed: Bool = state.withLock { state in
                        if state.isClosed { return true }
                        state.wakeUp = wake
                        return false
                    }
                    if closed { wake.resume() }
                }
            }
            await group.next()
            group.cancelAll()
            let wake = state.withLock { state in
                defer { state.wakeUp = nil }
                return state.wakeUp
            }
            wake?.resume()
        }
    }

    /// The outcome of one connection: whether it got as far as `welcome`, and why it ended.
    private struct Outcome {
        var welcomed: Bool
        var error: TaskwireClientError?
    }

    private func connectOnce() async -> Outcome {
        let connector = WebSocketConnector(
            address: configuration.server,
            token: configuration.token,
            maxFrameSize: configuration.maxMessageSize,
            timeout: configuration.connectTimeout
        )
        let channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>
        do {
            channel = try await connector.connect()
        } catch {
            return Outcome(welcomed: false, error: error)
        }
        let session = ClientSession(client: self, channel: channel.channel)
        do {
            try await channel.executeThenClose { inbound, outbound in
                try await session.run(inbound: inbound, outbound: outbound)
            }
        } catch {
            session.noteFailure(error)
        }
        session.finish()
        return Outcome(welcomed: session.welcomed, error: session.endReason)
    }
}
