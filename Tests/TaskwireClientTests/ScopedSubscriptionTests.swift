import TaskwireClient
import TaskwireProtocol
import Testing

/// Subscriptions end on the server when their scope ends.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ScopedSubscriptionTests {
    @Test func withSubscriptionUnsubscribesWhenItsClosureReturns() async throws {
        try await withLiveClient { server, client in
            try await client.withSubscription(to: ["scoped-a", "scoped-b"]) { _ in
                let id = try #require(client.welcome?.clientID)
                #expect(try await serverSubscriptions(server, clientID: id) == ["scoped-a", "scoped-b"])
            }
            let id = try #require(client.welcome?.clientID)
            #expect(try await serverSubscriptions(server, clientID: id) == [])
        }
    }

    @Test func aReleasedSubscriptionUnsubscribes() async throws {
        try await withLiveClient { server, client in
            var subscription: Subscription? = try await client.subscribe(to: ["scoped-released"])
            let id = try #require(client.welcome?.clientID)
            #expect(try await serverSubscriptions(server, clientID: id) == ["scoped-released"])
            #expect(subscription?.streams == ["scoped-released"])
            subscription = nil
            var left = try await serverSubscriptions(server, clientID: id)
            for _ in 0..<100 where left != [] {
                try await Task.sleep(for: .milliseconds(20))
                left = try await serverSubscriptions(server, clientID: id)
            }
            #expect(left == [])
        }
    }

    @Test func aSharedStreamStaysUntilItsLastSubscriptionEnds() async throws {
        try await withLiveClient { server, client in
            let api = try server.api
            let first = try await client.subscribe(to: ["scoped-shared"])
            let second = try await client.subscribe(to: ["scoped-shared", "scoped-other"])
            let id = try #require(client.welcome?.clientID)
            try await api.publish(.string("both"), to: "scoped-shared")
            var firstItems = first.makeAsyncIterator()
            var secondItems = second.makeAsyncIterator()
            #expect(customData(try await nextItem(&firstItems)) == .string("both"))
            #expect(customData(try await nextItem(&secondItems)) == .string("both"))

            try await first.unsubscribe()
            #expect(try await firstItems.next() == nil, "a cancelled subscription ends")
            #expect(try await serverSubscriptions(server, clientID: id) == ["scoped-other", "scoped-shared"])
            try await second.unsubscribe()
            #expect(try await serverSubscriptions(server, clientID: id) == [])
        }
    }

    @Test func refusedSubscriptionsAndPublishesThrowTheServersError() async throws {
        try await withLiveClient { server, client in
            let publish = await #expect(throws: TaskwireClientError.self) {
                try await client.publish(.null, to: "task_created")
            }
            #expect(publish?.code == .server)
            #expect(publish?.serverCode == "forbidden")
            let invalid = await #expect(throws: TaskwireClientError.self) {
                try await client.subscribe(to: ["no spaces"])
            }
            #expect(invalid?.code == .invalidArgument)
            let delivered = try await client.publish(.object(["n": .number("1")]), to: "nobody-listens")
            #expect(delivered == 0)
        }
    }
}
