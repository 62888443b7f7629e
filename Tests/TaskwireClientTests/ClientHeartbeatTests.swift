import TaskwireClient
import TaskwireHub
import TaskwireServer
import Testing

/// Heartbeat: the client answers the server's pings, and notices a server that stopped answering.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct ClientHeartbeatTests {
    @Test func answersServerPingsAndStaysConnected() async throws {
        try await withLiveClient(configure: { configuration in
            configuration.hub.pingInterval = .milliseconds(100)
            configuration.hub.pongTimeout = .milliseconds(200)
        }) { server, client in
            let events = client.connectionEvents()
            try await client.waitUntilConnected()
            let id = try #require(client.welcome?.clientID)
            try await Task.sleep(for: .seconds(1.5))
            #expect(try await server.api.connections().map(\.clientID) == [id], "the server did not close it (4002)")
            #expect(client.welcome?.clientID == id)
            await client.close()
            var sawDisconnect = false
            for await event in events {
                if case .disconnected = event { sawDisconnect = true }
            }
            #expect(!sawDisconnect)
        }
    }

    @Test func aSilentServerIsDetectedAndLeft() async throws {
        let silent = try await SilentServer()
        var configuration = TaskwireClientConfiguration(server: try ServerAddress("http://127.0.0.1:\(silent.port)"))
        configuration.idleTimeout = .milliseconds(200)
        configuration.deadServerTimeout = .milliseconds(300)
        configuration.reconnect.enabled = false
        let client = TaskwireClient(configuration: configuration)
        let events = client.connectionEvents()
        let clock = ContinuousClock()
        let start = clock.now
        try await client.run()
        let elapsed = clock.now - start
        var reasons: [TaskwireClientError?] = []
        var connected = false
        for await event in events {
            switch event {
            case .connected(let welcome): connected = welcome.clientID == "silent-1"
            case .disconnected(let reason): reasons.append(reason)
            default: break
            }
        }
        #expect(connected)
        #expect(reasons.count == 1)
        #expect(reasons.first??.code == .timeout, "\(reasons)")
        #expect(elapsed >= .milliseconds(500) && elapsed < .seconds(5), "silent for idle + dead timeouts: \(elapsed)")
        try await silent.stop()
    }
}
