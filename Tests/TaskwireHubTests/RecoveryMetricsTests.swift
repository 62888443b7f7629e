import MetricsTestKit
import NIOCore
import Testing
import TaskwireHub
import TaskwireProtocol
import TaskwireTesting

@Suite struct RecoveryMetricsTests {
    @Test func recoveriesAreCountedPerStreamNamedInSince() throws {
        let fixture = HubFixture()
        for i in 1...3 { try fixture.publish("\(i)", to: "news") }
        let epoch = fixture.hub.position(of: try stream("news")).epoch
        let peer = try fixture.connected()
        // news recovered; sport has another epoch: missed.
        let since = #"{"news":{"seq":1,"epoch":"\#(epoch)"},"sport":{"seq":1,"epoch":"nope"}}"#
        fixture.send(#"{"type":"subscribe","id":1,"event_types":["news","sport"],"since":\#(since)}"#, from: peer)
        // Already subscribed and up to date: recovered.
        let again = #"{"news":{"seq":3,"epoch":"\#(epoch)"}}"#
        fixture.send(#"{"type":"subscribe","id":2,"event_types":["news"],"since":\#(again)}"#, from: peer)
        // Without since: not counted.
        fixture.send(#"{"type":"subscribe","id":3,"event_types":["weather"]}"#, from: peer)
        let snapshot = fixture.hub.metricsSnapshot()
        #expect(snapshot.recoveriesOK == 2)
        #expect(snapshot.recoveriesMissed == 1)
        #expect(try fixture.metrics.expectCounter("taskwire_recoveries_total", [("result", "ok")]).totalValue == 2)
        #expect(try fixture.metrics.expectCounter("taskwire_recoveries_total", [("result", "missed")]).totalValue == 1)
    }
}
