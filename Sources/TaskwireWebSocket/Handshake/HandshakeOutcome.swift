package import NIOCore
package import NIOHTTPTypes
import Synchronization

/// How a connection's first request was dealt with.
package enum HandshakeResult: Sendable {
    /// Upgraded: the connection now belongs to the hub.
    case websocket
    /// Plain HTTP.
    case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
    /// An upgrade request that was refused: answer it with the refusal.
    case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, UpgradeRefusal)
}

/// Where a connection's ``HandshakeHandler`` reports, once, how its first request was dealt
/// with. Called on the connection's event loop.
package protocol HandshakeReceiver: Sendable {
    func receive(_ outcome: Result<HandshakeResult, any Error>)
}

/// A connection's handshake outcome, handed from its ``HandshakeHandler`` (on the event loop)
/// to the task Hummingbird's server runs for the connection.
///
/// An `EventLoopFuture` would do, but awaiting one from a task first hops to the event loop to
/// add the callback; at thousands of handshakes a second that wake-up is a measurable part of
/// each. Here the task only takes a lock: it returns at once when the outcome is known, and
/// otherwise leaves its continuation for the handler to resume.
final class HandshakeOutcome: HandshakeReceiver {
    typealias Value = Result<HandshakeResult, any Error>

    private enum State {
        case pending
        case waiting(CheckedContinuation<Value, Never>)
        case decided(Value)
    }

    private let state = Mutex(State.pending)

    /// Records the outcome and wakes the task waiting for it. Only the first call counts.
    func complete(_ value: Value) {
        let waiting: CheckedContinuation<Value, Never>? = state.withLock { state in
            switch state {
            case .pending:
                state = .decided(value)
                return nil
            case .waiting(let continuation):
                state = .decided(value)
                return continuation
            case .decided:
                return nil
            }
        }
        waiting?.resume(returning: value)
    }

    func receive(_ outcome: Value) { complete(outcome) }

    /// The outcome once known.
    var current: Value? {
        state.withLock { state in
            if case .decided(let value) = state { return value }
            return nil
        }
    }

    /// Waits for the outcome.
    func value() async -> Value {
        if let decided = current { return decided }
        return await withCheckedContinuation { continuation in
            let decided: Value? = state.withLock { state in
                switch state {
                case .pending:
                    state = .waiting(continuation)
                    return nil
                case .decided(let value):
                    return value
                case .waiting:
                    preconditionFailure("one task waits for a handshake's outcome")
                }
            }
            if let decided { continuation.resume(returning: decided) }
        }
    }
}
