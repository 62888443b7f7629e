import TaskwireClient
import TaskwireProtocol
import TaskwireServer
import Testing

/// A client configuration for `server` that reconnects quickly and waits briefly.
func clientConfiguration(_ server: LiveServer, firstDelay: Duration = .milliseconds(50)) throws -> TaskwireClientConfiguration {
    TaskwireClientConfiguration(
        server: try server.address,
        connectTimeout: .seconds(5),
        requestTimeout: .seconds(5),
        reconnect: ReconnectPolicy(initialDelay: firstDelay, maximumDelay: max(firstDelay, .milliseconds(500)))
    )
}

/// Reads connection events until one matches, failing the test after `timeout`.
func waitFor<Result: Sendable>(
    _ events: AsyncStream<ConnectionEvent>,
    timeout: Duration = .seconds(15),
    sourceLocation: SourceLocation = #_sourceLocation,
    _ match: @escaping @Sendable (ConnectionEvent) -> Result?
) async throws -> Result {
    let found = try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask {
            for await event in events {
                if let result = match(event) { return result }
            }
            return nil
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
    guard let found else {
        Issue.record("no matching connection event within \(timeout)", sourceLocation: sourceLocation)
        throw TaskwireClientError(.timeout, "no matching connection event")
    }
    return found
}

/// The next item of a subscription (tests run under a time limit, which ends a wait that never returns).
func nextItem(_ iterator: inout Subscription.AsyncIterator, sourceLocation: SourceLocation = #_sourceLocation) async throws -> SubscriptionItem {
    guard let item = try await iterator.next() else {
        Issue.record("the subscription ended", sourceLocation: sourceLocation)
        throw TaskwireClientError(.closed, "the subscription ended")
    }
    return item
}

/// The data of a custom event, or nil.
func customData(_ item: SubscriptionItem) -> JSONValue? {
    guard case .event(let event) = item, case .custom(let data) = event.message else { return nil }
    return data
}

/// The server's subscriptions of the connection `clientID`.
func serverSubscriptions(_ server: LiveServer, clientID: String) async throws -> [String]? {
    try await server.api.connections().first { $0.clientID == clientID }?.subscriptions
}

/// Starts a server, runs `body` with a client of it, then closes the client and stops the server.
func withLiveClient(
    firstDelay: Duration = .milliseconds(50),
    configure: @escaping @Sendable (inout TaskwireConfiguration) -> Void = { _ in },
    _ body: (LiveServer, TaskwireClient) async throws -> Void
) async throws {
    let server = try await LiveServer(configure: configure)
    try await server.start()
    do {
        try await TaskwireClient.withClient(configuration: try clientConfiguration(server, firstDelay: firstDelay)) { client in
            try await body(server, client)
        }
    } catch {
        try? await server.stop()
        throw error
    }
    try await server.stop()
}
