public import TaskwireQueue

/// The behaviour every ``TaskStore`` must show, as one suite that runs unchanged against any
/// backend: in memory, SQLite, PostgreSQL.
///
/// Each check makes a fresh store with `makeStore`, calls `migrate()` itself, and throws a
/// ``ConformanceFailure`` that says what went wrong. Run them all, or one at a time so a test
/// runner lists each:
///
/// ```swift
/// @Test(arguments: TaskStoreConformance.Check.all)
/// func conformance(_ check: TaskStoreConformance.Check) async throws {
///     let suite = TaskStoreConformance(makeStore: { try SQLiteTaskStore(path: tempFile(), logger: logger) }, reopen: reopen)
///     try await suite.run(check)
/// }
/// ```
public struct TaskStoreConformance: Sendable {
    /// Makes a new, empty store (not yet migrated).
    public typealias MakeStore = @Sendable () async throws -> any TaskStore
    /// Closes a store and opens a new one on the same data, as a restart would.
    public typealias Reopen = @Sendable (any TaskStore) async throws -> any TaskStore

    let makeStore: MakeStore
    let reopen: Reopen?

    /// - Parameters:
    ///   - makeStore: makes a new, empty store for each check.
    ///   - reopen: reopens a store on the same data; nil for stores that keep nothing
    ///     (the durability check is then not run by ``runAll()``).
    public init(makeStore: @escaping MakeStore, reopen: Reopen? = nil) {
        self.makeStore = makeStore
        self.reopen = reopen
    }

    /// One named behaviour.
    public struct Check: Sendable, Hashable, CustomStringConvertible {
        /// A short name in camel case, e.g. `claimOrder`.
        public let name: String
        /// Whether the check needs a `reopen` hook.
        public let requiresReopen: Bool
        let body: @Sendable (TaskStoreConformance) async throws -> Void

        init(_ name: String, requiresReopen: Bool = false, _ body: @escaping @Sendable (TaskStoreConformance) async throws -> Void) {
            self.name = name
            self.requiresReopen = requiresReopen
            self.body = body
        }

        public var description: String { name }
        public static func == (lhs: Check, rhs: Check) -> Bool { lhs.name == rhs.name }
        public func hash(into hasher: inout Hasher) { hasher.combine(name) }

        /// Every check, in a sensible order.
        public static let all: [Check] = [
            Check("insertRoundTripsEveryField") { try await $0.insertRoundTripsEveryField() },
            Check("duplicateIDIsRejected") { try await $0.duplicateIDIsRejected() },
            Check("listIsNewestFirstWithFilters") { try await $0.listIsNewestFirstWithFilters() },
            Check("cursorPagingReturnsEveryTaskOnce") { try await $0.cursorPagingReturnsEveryTaskOnce() },
            Check("badCursorIsInvalid") { try await $0.badCursorIsInvalid() },
            Check("updateAppliesTheChangeAndReportsItOnce") { try await $0.updateAppliesTheChangeAndReportsItOnce() },
            Check("throwingChangeWritesNothing") { try await $0.throwingChangeWritesNothing() },
            Check("claimOrderIsPriorityThenAge") { try await $0.claimOrderIsPriorityThenAge() },
            Check("claimWithNothingPendingIsNil") { try await $0.claimWithNothingPendingIsNil() },
            Check("expireLeasesTouchesOnlyExpiredRunningTasks") { try await $0.expireLeasesTouchesOnlyExpiredRunningTasks() },
            Check("taskEventsAreNumberedWithEachChange") { try await $0.taskEventsAreNumberedWithEachChange() },
            Check("countsAreExact") { try await $0.countsAreExact() },
            Check("concurrentClaimersGetEachTaskOnce") { try await $0.concurrentClaimersGetEachTaskOnce() },
            Check("everythingSurvivesReopen", requiresReopen: true) { try await $0.everythingSurvivesReopen() },
        ]
    }

    /// The checks this suite can run: all of them, less those needing `reopen` when there is none.
    public var checks: [Check] {
        Check.all.filter { reopen != nil || !$0.requiresReopen }
    }

    /// Runs one check.
    /// - Throws: ``ConformanceFailure`` naming the check, or the store's own unexpected error.
    public func run(_ check: Check) async throws {
        if check.requiresReopen && reopen == nil {
            throw ConformanceFailure("\(check.name) needs a reopen hook", check: check.name)
        }
        do {
            try await check.body(self)
        } catch var failure as ConformanceFailure {
            failure.check = check.name
            throw failure
        }
    }

    /// Runs every check in ``checks``, all of them even after a failure.
    /// - Throws: one ``ConformanceFailure`` listing every check that failed.
    public func runAll() async throws {
        var failures: [String] = []
        for check in checks {
            do {
                try await run(check)
            } catch {
                failures.append("\(check.name): \(error)")
            }
        }
        if !failures.isEmpty {
            throw ConformanceFailure("\(failures.count) of \(checks.count) checks failed:\n" + failures.joined(separator: "\n"))
        }
    }

    /// A new, migrated store.
    func freshStore() async throws -> any TaskStore {
        let store = try await makeStore()
        try await store.migrate()
        return store
    }
}
