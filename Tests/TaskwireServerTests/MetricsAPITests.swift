import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TaskwireHub
import TaskwireProtocol
import TaskwireTesting
import Testing

@Suite struct MetricsAPITests {
    static let fields: Set<String> = [
        "total_connections", "active_connections", "messages_sent", "messages_received", "connection_errors",
        "ping_timeouts", "average_connection_duration", "connection_success_rate", "message_throughput",
        "slow_consumer_disconnects",
    ]

    @Test func jsonMetricsHaveEveryFieldAndCount() async throws {
        let fixture = APIFixture()
        let (a, _) = try fixture.connect(subscriptions: ["s"])
        let (b, _) = try fixture.connect()
        fixture.clock.advance(by: .seconds(4))
        fixture.hub.removeConnection(b)
        _ = a
        try await fixture.test { client in
            let response = try await client.execute(uri: "/api/v1/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            guard case .object(let metrics) = response.json else {
                Issue.record("not an object: \(String(buffer: response.body))")
                return
            }
            #expect(Set(metrics.keys) == Self.fields)
            #expect(metrics["total_connections"] == .number("2"))
            #expect(metrics["active_connections"] == .number("1"))
            #expect(metrics["messages_sent"] == .number("2"))
            #expect(metrics["messages_received"] == .number("0"))
            #expect(metrics["connection_errors"] == .number("0"))
            #expect(metrics["ping_timeouts"] == .number("0"))
            #expect(metrics["slow_consumer_disconnects"] == .number("0"))
            #expect(metrics["average_connection_duration"]?.doubleValue == 4)
            #expect(metrics["connection_success_rate"]?.doubleValue == 1)
            #expect(metrics["message_throughput"]?.doubleValue != nil)
        }
    }

    @Test func prometheusTextHasTaskwireMetrics() async throws {
        let fixture = APIFixture()
        _ = try fixture.connect()
        try await fixture.test { client in
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = String(buffer: response.body)
            #expect(text.contains("taskwire_ws_connections 1"))
            #expect(text.contains("taskwire_ws_connections_total 1"))
            #expect(text.contains("taskwire_slow_consumer_disconnects_total 0"))
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                #expect(line.hasPrefix("taskwire_"), "\(line)")
            }
        }
    }
}
