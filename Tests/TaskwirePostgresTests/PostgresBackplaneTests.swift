import PostgresNIO
import Synchronization
import TaskwireHub
import TaskwirePostgres
import Testing

/// A node following the cluster's event log: everything another node appends arrives, in order,
/// once, also across a lost connection.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct PostgresBackplaneTests {
    final class Received: Sendable {
        let events = Mutex<[PostgresStreamLog.Event]>([])
        var count: Int { events.withLock { $0.count } }
    }

    @Test(.timeLimit(.minutes(1)))
    func eventsOfAnotherNodeArriveInOrderAlsoAcrossAConnectionLoss() async throws {
        try await TestDatabase.withStores { stores in
            let nodeA = stores.makeStore()
            let nodeB = stores.makeStore(sharingSchemaWith: nodeA)
            try await nodeA.migrate()
            try await nodeB.migrate()
            let logB = PostgresStreamLog(store: nodeB)
            let time = Timestamp(nanosecondsSinceEpoch: 1_800_000_000_000_000_000)
            // History from before the node started is not delivered live.
            _ = try await logB.append(#""before":true"#, to: "s", at: time)

            let received = Received()
            let backplane = PostgresBackplane(store: nodeA, retryDelay: .seconds(1), logger: testLogger) { event in
                received.events.withLock { $0.append(event) }
            }
            let following = Task { await backplane.run() }
            defer { following.cancel() }
            try await eventually { backplane.isReady }
            #expect(throws: Never.self) { try backplane.checkReady() }

            for i in 1...40 { _ = try await logB.append(#""i":\#(i)"#, to: "s", at: time) }
            try await eventually { received.count == 40 }

            // The database ends the backplane's connection; meanwhile node B goes on appending.
            try await stores.withAdminConnection { connection in
                _ = try await connection.query(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'taskwire-backplane'",
                    logger: testLogger
                ).collect()
            }
            try await eventually { !backplane.isReady }
            #expect(throws: PostgresBackplaneNotReady.self) { try backplane.checkReady() }
            for i in 41...70 { _ = try await logB.append(#""i":\#(i)"#, to: "s", at: time) }
            try await eventually { backplane.isReady && received.count == 70 }

            let events = received.events.withLock { $0 }
            #expect(events.map(\.seq) == Array(2...71), "every event after the start, once, in order")
            #expect(events.map(\.id) == Array(2...71), "ids without gaps")
            #expect(events.last?.body == #""i":70"#)
            #expect(backplane.lastDeliveredID == 71)
        }
    }

    /// Waits until `condition` holds, checking every 10 ms.
    func eventually(_ condition: () -> Bool) async throws {
        while !condition() {
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
