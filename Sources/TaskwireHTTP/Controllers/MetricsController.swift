import Hummingbird
import NIOCore
import TaskwireHub
import TaskwireProtocol

/// `GET /api/v1/metrics`: the hub's counters (the seed's `WebSocketMetrics`) and calculated metrics.
struct MetricsController: Sendable {
    let hub: Hub

    func addRoutes(to router: some RouterMethods<TaskwireRequestContext>) {
        router.get("metrics", use: metrics)
        router.allowOnly([.get], on: "metrics")
    }

    @Sendable func metrics(_ request: Request, context: TaskwireRequestContext) -> Response {
        .json(Self.json(hub.metricsSnapshot()))
    }

    /// Every field PROTOCOL.md lists, plus `slow_consumer_disconnects`.
    static func json(_ m: HubMetricsSnapshot) -> ByteBuffer {
        var json = ByteBuffer()
        json.writeStaticString(#"{"total_connections":"#)
        json.writeJSONInteger(m.totalConnections)
        json.writeStaticString(#","active_connections":"#)
        json.writeJSONInteger(m.activeConnections)
        json.writeStaticString(#","messages_sent":"#)
        json.writeJSONInteger(m.messagesSent)
        json.writeStaticString(#","messages_received":"#)
        json.writeJSONInteger(m.messagesReceived)
        json.writeStaticString(#","connection_errors":"#)
        json.writeJSONInteger(m.connectionErrors)
        json.writeStaticString(#","ping_timeouts":"#)
        json.writeJSONInteger(m.pingTimeouts)
        json.writeStaticString(#","slow_consumer_disconnects":"#)
        json.writeJSONInteger(m.slowConsumerDisconnects)
        json.writeStaticString(#","average_connection_duration":"#)
        json.writeJSONNumber(m.averageConnectionDuration)
        json.writeStaticString(#","connection_success_rate":"#)
        json.writeJSONNumber(m.connectionSuccessRate)
        json.writeStaticString(#","message_throughput":"#)
        json.writeJSONNumber(m.messageThroughput)
        json.writeStaticString("}")
        return json
    }
}
