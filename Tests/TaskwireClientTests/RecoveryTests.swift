import TaskwireClient
import TaskwireProtocol
import Testing

/// The client against a live server: reconnecting, and recovering what it missed meanwhile.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct RecoveryTests {
    @Test func reconnectsAfterTheServerRestartsAndReportsTheLostHistory() async throws {
        try await withLiveClient { server, client in
            let api = try server.api
            let events = client.connectionEvents()
            let subscription = try await client.subscribe(to: ["restart-news"])
            var items = subscription.makeAsyncIterator()
            #expect(try await api.publish(.string("before"), to: "restart-news") == 1)
            #expect(customData(try await nextItem(&items)) == .string("before"))
            let firstClientID = try #require(client.welcome?.clientID)

            try await server.stop()
            _ = try await waitFor(events) { if case .disconnected = $0 { true } else { nil } }
            try await server.start()
            let recovered = try await waitFor(events) { event -> [String: Bool]? in
                if case .resubscribed(_, let recovered) = event { recovered } else { nil }
            }
            // A restarted server has a new epoch: the stream cannot be recovered, and the subscription says so.
            #expect(recovered == ["restart-news": false])
            guard case .gap(let stream) = try await nextItem(&items) else {
                Issue.record("expected a gap after the restart")
                return
            }
            #expect(stream == "restart-news")

            #expect(try await api.publish(.string("after"), to: "restart-news") == 1)
            #expect(customData(try await nextItem(&items)) == .string("after"))
            #expect(client.welcome?.clientID != firstClientID)
            // Requests work on the new connection.
            #expect(try await client.publish(.string("mine"), to: "restart-news") == 1)
            #expect(customData(try await nextItem(&items)) == .string("mine"))
            subscription.cancel()
        }
    }

    @Test func eventsPublishedWhileDisconnectedArriveInOrderWithoutDuplicates() async throws {
        // A slow first reconnect leaves time to publish while the client is away.
        try await withLiveClient(firstDelay: .seconds(3)) { server, client in
            let api = try server.api
            let events = client.connectionEvents()
            let subscription = try await client.subscribe(to: ["recover-news"])
            var items = subscription.makeAsyncIterator()
            for i in 1...3 { try await api.publish(.number(String(i)), to: "recover-news") }
            var seqs: [UInt64] = []
            for i in 1...3 {
                let item = try await nextItem(&items)
                #expect(customData(item) == .number(String(i)))
                seqs.append(item.event?.seq ?? 0)
            }

            try await api.closeConnection(clientID: try #require(client.welcome?.clientID))
            _ = try await waitFor(events) { if case .disconnected = $0 { true } else { nil } }
            for i in 4...10 {
                #expect(try await api.publish(.number(String(i)), to: "recover-news") == 0, "the client is away")
            }
            let recovered = try await waitFor(events) { event -> [String: Bool]? in
                if case .resubscribed(_, let recovered) = event { recovered } else { nil }
            }
            #expect(recovered == ["recover-news": true])
            for i in 4...10 {
                let item = try await nextItem(&items)
                #expect(customData(item) == .number(String(i)), "missed event \(i), in order")
                seqs.append(item.event?.seq ?? 0)
            }
            try await api.publish(.number("11"), to: "recover-news")
            let live = try await nextItem(&items)
            #expect(customData(live) == .number("11"), "the next item is the live event: nothing twice")
            seqs.append(live.event?.seq ?? 0)
            #expect(seqs == Array(1...11))
            subscription.cancel()
        }
    }
}
