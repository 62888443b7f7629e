import PostgresNIO
import TaskwireHub
import TaskwirePostgres
import TaskwireProtocol
import Testing

/// The cluster's event log: what every node must agree on.
@Suite(.enabled(if: TestDatabase.isConfigured, TestDatabase.skipMessage))
struct PostgresStreamLogTests {
    static let time = Timestamp(nanosecondsSinceEpoch: 1_800_000_000_000_000_000)

    /// Two nodes append to two streams at once, eight appenders in all: each stream is numbered
    /// 1…N without gaps, ids are 1…total without gaps, and within a stream id order is seq order.
    @Test func appendsFromTwoNodesAreNumberedWithoutGaps() async throws {
        try await TestDatabase.withStores { stores in
            let nodeA = stores.makeStore()
            let nodeB = stores.makeStore(sharingSchemaWith: nodeA)
            try await nodeA.migrate()
            try await nodeB.migrate()
            let logs = [PostgresStreamLog(store: nodeA), PostgresStreamLog(store: nodeB)]
            let perAppender = 40
            try await withThrowingTaskGroup(of: Void.self) { group in
                for appender in 0..<8 {
                    group.addTask {
                        for i in 0..<perAppender {
                            let stream = i.isMultiple(of: 2) ? "alpha" : "beta"
                            _ = try await logs[appender % 2].append(#""n":\#(appender * 1000 + i)"#, to: stream, at: Self.time)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let events = try await logs[0].events(after: 0, limit: 10_000)
            #expect(events.map(\.id) == Array(1...Int64(8 * perAppender)))
            #expect(try await logs[1].lastID() == Int64(8 * perAppender))
            for stream in ["alpha", "beta"] {
                let ofStream = events.filter { $0.stream == stream }
                #expect(ofStream.map(\.seq) == Array(1...UInt64(4 * perAppender)), "seqs of \(stream) in id order")
                #expect(try await logs[1].events(of: stream, after: 0, limit: 10_000) == ofStream, "\(stream) read by stream")
            }
            let page = try await logs[1].events(of: "alpha", after: 5, limit: 3)
            #expect(page.map(\.seq) == [6, 7, 8])
        }
    }

    /// An append notifies `taskwire_events` with the event's id, at commit. (The channel is the
    /// database's: appends of other schemas, other tests running now, notify it too.)
    @Test(.timeLimit(.minutes(1)))
    func anAppendNotifiesItsID() async throws {
        try await TestDatabase.withStores { stores in
            let store = stores.makeStore()
            try await store.migrate()
            let log = PostgresStreamLog(store: store)
            let schema = try #require(store.configuration.schema)
            try await stores.withAdminConnection { connection in
                _ = try await connection.query(PostgresQuery(unsafeSQL: "SET search_path TO \(schema)"), logger: testLogger).collect()
                try await connection.listen(on: PostgresStreamLog.channel) { notifications in
                    let (id, _) = try await log.append(#""x":1"#, to: "news", at: Self.time)
                    var found = false
                    for try await notification in notifications where notification.payload == String(id) {
                        found = true
                        break
                    }
                    #expect(found)
                }
            }
        }
    }

    /// Trimming removes old events and events too far behind their stream; numbering goes on.
    @Test func trimmingKeepsTheNumbering() async throws {
        try await TestDatabase.withStores { stores in
            let store = stores.makeStore()
            try await store.migrate()
            let log = PostgresStreamLog(store: store)
            for i in 1...10 {
                _ = try await log.append(#""i":\#(i)"#, to: "kept", at: Self.time + .seconds(i))
            }
            _ = try await log.append(#""old":true"#, to: "old", at: Self.time)
            let removed = try await log.trim(before: Self.time + .seconds(1), keepingPerStream: 3)
            #expect(removed == 8)
            #expect(try await log.events(of: "kept", after: 0, limit: 100).map(\.seq) == [8, 9, 10])
            #expect(try await log.events(of: "old", after: 0, limit: 100) == [])
            let (_, position) = try await log.append(#""i":11"#, to: "kept", at: Self.time + .seconds(11))
            #expect(position.seq == 11)
            #expect(position.epoch == store.eventEpoch)
        }
    }
}
