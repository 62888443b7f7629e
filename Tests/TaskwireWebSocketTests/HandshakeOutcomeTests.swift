import Testing

@testable import TaskwireWebSocket

@Suite("A handshake's outcome")
struct HandshakeOutcomeTests {
    @Test func aWaitingTaskIsResumedWithTheFirstOutcome() async throws {
        let outcome = HandshakeOutcome()
        let waiter = Task { await outcome.value() }
        // Let the task park its continuation (the outcome works either way).
        try await Task.sleep(for: .milliseconds(20))
        outcome.receive(.success(.websocket))
        outcome.receive(.failure(CancellationError()))
        guard case .success(.websocket) = await waiter.value else {
            Issue.record("expected the first outcome")
            return
        }
    }

    @Test func anOutcomeKnownBeforeTheTaskAsksIsReturnedAtOnce() async {
        let outcome = HandshakeOutcome()
        #expect(outcome.current == nil)
        outcome.receive(.failure(CancellationError()))
        guard case .failure(let error) = await outcome.value() else {
            Issue.record("expected the failure")
            return
        }
        #expect(error is CancellationError)
        guard case .failure = outcome.current else {
            Issue.record("expected current to hold the failure")
            return
        }
    }
}
