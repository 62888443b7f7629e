import Testing
import TaskwireHub
import TaskwireQueue
import TaskwireStoreTesting

/// The conformance suite itself: it passes a correct store and catches a broken one.
@Suite struct ConformanceSuiteTests {
    @Test func runAllPassesOnTheReferenceStore() async throws {
        try await TaskStoreConformance(makeStore: { InMemoryTaskStore() }).runAll()
    }

    @Test func aStoreThatReportsTwiceFailsTheUpdateCheckByName() async throws {
        let suite = TaskStoreConformance(makeStore: { DoubleReportingStore() })
        let check = try #require(TaskStoreConformance.Check.all.first { $0.name == "updateAppliesTheChangeAndReportsItOnce" })
        let failure = await #expect(throws: ConformanceFailure.self) { try await suite.run(check) }
        #expect(failure?.check == "updateAppliesTheChangeAndReportsItOnce")
        #expect(failure?.message.contains("reports of one update") == true)

        let all = await #expect(throws: ConformanceFailure.self) { try await suite.runAll() }
        #expect(all?.message.contains("updateAppliesTheChangeAndReportsItOnce") == true)
    }

    @Test func theDurabilityCheckNeedsAReopenHook() async throws {
        let suite = TaskStoreConformance(makeStore: { InMemoryTaskStore() })
        let check = try #require(TaskStoreConformance.Check.all.first { $0.requiresReopen })
        await #expect(throws: ConformanceFailure.self) { try await suite.run(check) }
    }
}

/// An in-memory store that wrongly reports each update twice.
final class DoubleReportingStore: ForwardingTaskStore, @unchecked Sendable {
    override func update(
        id: String,
        _ change: @escaping @Sendable (inout TaskRecord) throws -> Void,
        onCommit: @escaping CommitObserver
    ) async throws -> TaskRecord {
        try await base.update(id: id, change) { changes in
            onCommit(changes)
            onCommit(changes)
        }
    }
}
