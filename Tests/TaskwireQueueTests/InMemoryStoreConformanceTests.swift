import Testing
import TaskwireQueue
import TaskwireStoreTesting

/// The shared store conformance suite, on the reference implementation.
@Suite struct InMemoryStoreConformanceTests {
    static let suite = TaskStoreConformance(makeStore: { InMemoryTaskStore() })

    @Test(arguments: suite.checks)
    func conformance(_ check: TaskStoreConformance.Check) async throws {
        try await Self.suite.run(check)
    }

    @Test func theDurabilityCheckIsLeftOutWithoutAReopenHook() {
        #expect(Self.suite.checks.allSatisfy { !$0.requiresReopen })
        #expect(Self.suite.checks.count == TaskStoreConformance.Check.all.count - 1)
    }
}
