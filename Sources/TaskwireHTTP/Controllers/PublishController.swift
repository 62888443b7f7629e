import Hummingbird
import Logging
import NIOCore
import TaskwireHub
import TaskwireProtocol

/// `POST /api/v1/publish`: `{"event_type":"…","data":any}` → `{"delivered":N}`.
///
/// The server-side publish API follows the same rule as WebSocket clients: only custom streams.
/// The well-known streams and the `task:` and `queue:` streams carry the server's own
/// `task_update`, `queue_status` and `notification` messages, numbered in order; letting a
/// `custom` message into them would break what their subscribers rely on. Notifications go
/// through `POST /api/v1/notifications`. So an invalid name is 400 and a server-written stream 403.
struct PublishController: Sendable {
    let hub: Hub
    let maxBodySize: Int

    func addRoutes(to router: some RouterMethods<TaskwireRequestContext>) {
        router.post("publish", use: publish)
        router.allowOnly([.post], on: "publish")
    }

    @Sendable func publish(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        let (stream, data) = try Self.publication(try await JSONRequestBody.read(request, limit: maxBodySize))
        guard hub.acceptsPublishes else {
            throw HTTPAPIError(.unavailable, "the cluster's event log cannot be reached; the event was not published, try again")
        }
        let delivered = await hub.publishAndCount(ServerMessage.customBody(data: data), to: stream)
        context.logger.debug("published", metadata: ["tw.stream": "\(stream)", "tw.delivered": "\(delivered)"])
        var json = ByteBuffer()
        json.writeStaticString(#"{"delivered":"#)
        json.writeJSONInteger(delivered)
        json.writeStaticString("}")
        return .json(json)
    }

    /// The stream and the `data` text (`null` when absent) a body names.
    /// - Throws: `bad_request` for a missing or invalid `event_type`, `forbidden` for a server-written stream.
    static func publication(_ body: JSONRequestBody) throws(HTTPAPIError) -> (stream: StreamName, data: ByteBuffer) {
        let name = try body.requiredString("event_type")
        let stream: StreamName
        do {
            stream = try StreamName(validating: name)
        } catch {
            throw HTTPAPIError(.badRequest, "field 'event_type': \(error.message)")
        }
        guard stream.isClientPublishable else {
            throw HTTPAPIError(
                .forbidden,
                "field 'event_type': stream \"\(name)\" is written by the server alone; publish on custom streams"
            )
        }
        return (stream, body.rawValue("data") ?? ByteBuffer(staticString: "null"))
    }
}
