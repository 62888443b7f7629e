import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Prometheus
import TaskwireHTTP
import TaskwireHub
import TaskwireProtocol
import TaskwireTesting
import Testing

/// A hub on one immediate executor with a manual clock, and the HTTP API in front of it.
struct APIFixture {
    let clock = ManualHubClock()
    let executor = ImmediateExecutor()
    let registry = PrometheusCollectorRegistry()
    let hub: Hub
    let application: Application<RouterResponder<TaskwireRequestContext>>

    init(maxBodySize: Int = 1024, readinessChecks: [ReadinessCheck] = [], configure: (Router<TaskwireRequestContext>) -> Void = { _ in }) {
        hub = Hub(
            configuration: .standard,
            executors: [executor],
            clock: clock,
            logger: Logger(label: "taskwire.test"),
            metricsFactory: PrometheusMetricsFactory(registry: registry)
        )
        let router = Router(context: TaskwireRequestContext.self, options: .autoGenerateHeadEndpoints)
        TaskwireAPI(hub: hub, registry: registry, readinessChecks: readinessChecks, maxBodySize: maxBodySize).addRoutes(to: router)
        configure(router)
        application = Application(router: router, logger: Logger(label: "taskwire.test"))
    }

    /// Registers a connection with an in-memory transport, its welcome already taken.
    func connect(userID: String? = nil, sessionID: String? = nil, subscriptions: [String] = []) throws -> (HubClient, TestTransport) {
        let transport = TestTransport()
        let client = try hub.addConnection(
            transport: transport,
            on: executor,
            userID: userID,
            sessionID: sessionID,
            subscriptions: try subscriptions.map { name throws(TaskwireError) in try StreamName(validating: name) }
        )
        _ = transport.take()
        return (client, transport)
    }

    /// Runs `body` with a client that sends requests straight to the router.
    func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await application.test(.router, body)
    }
}

extension TestResponse {
    /// The body parsed as JSON (`.null` when it is not JSON).
    var json: JSONValue {
        (try? JSONParser.parse(Array(body.readableBytesView))) ?? .null
    }
}

/// Checks an API error: the status, `application/json`, and `{"error":{"code","message"}}`.
func expectError(
    _ response: TestResponse,
    _ status: HTTPResponse.Status,
    code: String,
    mentions: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(response.status == status, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
    #expect(response.headers[.contentType]?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
    let error = response.json["error"]
    #expect(error?["code"]?.stringValue == code, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
    let message = error?["message"]?.stringValue ?? ""
    #expect(!message.isEmpty, sourceLocation: sourceLocation)
    if let mentions {
        #expect(message.contains(mentions), "\(message)", sourceLocation: sourceLocation)
    }
    if case .object(let top) = response.json, case .object(let inner)? = error {
        #expect(Set(top.keys) == ["error"], sourceLocation: sourceLocation)
        #expect(Set(inner.keys) == ["code", "message"], sourceLocation: sourceLocation)
    }
}

extension ByteBuffer {
    /// A buffer holding `text`.
    static func text(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
}
