import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Prometheus
import TaskwireHTTP
import TaskwireProtocol
import TaskwireQueue
import TaskwireServer
import TaskwireTesting
import Testing

@Suite struct ApplicationTests {
    func configuration() -> TaskwireConfiguration {
        var config = TaskwireConfiguration.standard
        config.http.port = 0
        config.logLevel = .warning
        return config
    }

    @Test func builtApplicationServesTheAPI() async throws {
        let app = try buildApplication(configuration: configuration(), logger: Logger(label: "taskwire.test"), store: InMemoryTaskStore())
        try await app.test(.router) { client in
            let response1 = try await client.execute(uri: "/healthz", method: .get)
            #expect(response1.status == .ok)
            let response2 = try await client.execute(uri: "/readyz", method: .get)
            #expect(response2.status == .ok)
            let metrics = try await client.execute(uri: "/api/v1/metrics", method: .get)
            #expect(metrics.json["total_connections"] == .number("0"))
            let published = try await client.execute(uri: "/api/v1/publish", method: .post, body: ByteBuffer(string: #"{"event_type":"x"}"#))
            #expect(String(buffer: published.body) == #"{"delivered":0}"#)
            let response3 = try await client.execute(uri: "/nowhere", method: .get)
            expectError(response3, .notFound, code: "not_found")
        }
    }

    @Test func readinessChecksArePassedThrough() async throws {
        let app = try buildApplication(
            configuration: configuration(),
            logger: Logger(label: "taskwire.test"),
            readinessChecks: [ReadinessCheck(name: "backplane") { throw ReadinessCheck.Failure("closed") }],
            store: InMemoryTaskStore()
        )
        try await app.test(.router) { client in
            let response4 = try await client.execute(uri: "/readyz", method: .get)
            expectError(response4, .serviceUnavailable, code: "unavailable", mentions: "backplane")
        }
    }

    @Test func hubMetricsGoToTheGivenRegistry() async throws {
        let registry = PrometheusCollectorRegistry()
        let app = try buildApplication(
            configuration: configuration(),
            logger: Logger(label: "taskwire.test"),
            registry: registry,
            store: InMemoryTaskStore()
        )
        try await app.test(.router) { client in
            // Other services (the queue status publisher) may publish too: count this one's effect.
            func published() async throws -> Int {
                let text = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                let line = text.split(separator: "\n").first { $0.hasPrefix("taskwire_events_published_total ") }
                return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
            }
            let before = try await published()
            _ = try await client.execute(uri: "/api/v1/publish", method: .post, body: ByteBuffer(string: #"{"event_type":"y"}"#))
            #expect(try await published() >= before + 1)
        }
        #expect(registry.emitToString().contains("# TYPE taskwire_events_published_total counter"))
    }

    @Test(.timeLimit(.minutes(1)))
    func liveServerAnswersOverHTTPAndShutsDown() async throws {
        let app = try buildApplication(configuration: configuration(), logger: Logger(label: "taskwire.test"), store: InMemoryTaskStore())
        try await app.test(.live) { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            let connections = try await client.execute(uri: "/api/v1/connections", method: .get)
            #expect(String(buffer: connections.body) == #"{"connections":[]}"#)
            let wrong = try await client.execute(uri: "/api/v1/metrics", method: .delete)
            expectError(wrong, .methodNotAllowed, code: "method_not_allowed")
        }
    }
}
