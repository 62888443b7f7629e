import Hummingbird
import Logging
import NIOCore
import TaskwireHub
import TaskwireProtocol

/// `GET /api/v1/connections` (every connection, oldest first) and
/// `DELETE /api/v1/connections/{client_id}` (closes it with 1008).
struct ConnectionsController: Sendable {
    let hub: Hub

    func addRoutes(to router: some RouterMethods<TaskwireRequestContext>) {
        router.get("connections", use: list)
        router.allowOnly([.get], on: "connections")
        router.delete("connections/{client_id}", use: disconnect)
        router.allowOnly([.delete], on: "connections/{client_id}")
    }

    @Sendable func list(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        let connections = await hub.connections()
        var json = ByteBuffer()
        json.reserveCapacity(64 + connections.count * 256)
        json.writeStaticString(#"{"connections":["#)
        for (index, connection) in connections.enumerated() {
            if index > 0 { json.writeStaticString(",") }
            Self.write(connection, into: &json)
        }
        json.writeStaticString("]}")
        return .json(json)
    }

    @Sendable func disconnect(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        let clientID = try context.parameters.require("client_id")
        guard await hub.disconnect(clientID, code: .policyViolation, reason: "closed by an admin") else {
            throw HTTPAPIError(.notFound, "no connection with client_id \"\(Self.shown(clientID))\"")
        }
        context.logger.info("connection closed by admin", metadata: ["tw.client.id": "\(clientID)"])
        return Response(status: .noContent)
    }

    /// One connection as the admin API shows it.
    static func write(_ connection: ConnectionInfo, into json: inout ByteBuffer) {
        json.writeStaticString(#"{"client_id":"#)
        json.writeJSONString(connection.clientID)
        json.writeStaticString(#","user_id":"#)
        json.writeJSONString(orNull: connection.userID)
        json.writeStaticString(#","session_id":"#)
        json.writeJSONString(orNull: connection.sessionID)
        json.writeStaticString(#","connected_at":"#)
        json.writeJSONString(connection.connectedAt.rfc3339)
        json.writeStaticString(#","last_ping":"#)
        json.writeJSONString(connection.lastPing.rfc3339)
        json.writeStaticString(#","state":"#)
        json.writeJSONString(connection.state.rawValue)
        json.writeStaticString(#","subscriptions":"#)
        json.writeJSONStringArray(connection.subscriptions)
        json.writeStaticString("}")
    }

    private static func shown(_ s: String) -> String {
        s.count > 64 ? String(s.prefix(64)) + "…" : s
    }
}
