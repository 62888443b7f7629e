import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Prometheus
import TaskwireHTTP
import TaskwireHub
import TaskwireProtocol
import TaskwireQueue
import TaskwireTesting
import Testing

/// The HTTP API with the task queue: a hub on one immediate executor with a manual clock, a
/// task service over `store` (in memory by default), small limits so that the 413s are cheap.
struct TaskAPIFixture: Sendable {
    let clock = ManualHubClock()
    let executor = ImmediateExecutor()
    let registry = PrometheusCollectorRegistry()
    let hub: Hub
    let store: any TaskStore
    let service: TaskService
    let readinessChecks: [ReadinessCheck]
    /// Body limit of this fixture's API, in bytes.
    let bodyLimit: Int

    /// Payload limit of the fixture's queue, in bytes.
    static let maxPayloadSize = 256
    /// Body limit of the fixture's API, in bytes.
    static let maxBodySize = 1024

    init(
        store: any TaskStore = InMemoryTaskStore(),
        readinessChecks: [ReadinessCheck] = [],
        maxBodySize: Int = Self.maxBodySize,
        maxPayloadSize: Int = Self.maxPayloadSize
    ) {
        self.store = store
        self.readinessChecks = readinessChecks
        self.bodyLimit = maxBodySize
        hub = Hub(
            configuration: .standard,
            executors: [executor],
            clock: clock,
            logger: Logger(label: "taskwire.test"),
            metricsFactory: PrometheusMetricsFactory(registry: registry)
        )
        service = TaskService(store: store, hub: hub, configuration: QueueConfiguration(maxPayloadSize: maxPayloadSize))
    }

    /// A router with every route of the API, the task routes included.
    func makeRouter() -> Router<TaskwireRequestContext> {
        let router = Router(context: TaskwireRequestContext.self, options: .autoGenerateHeadEndpoints)
        TaskwireAPI(
            hub: hub,
            registry: registry,
            readinessChecks: readinessChecks,
            maxBodySize: bodyLimit,
            tasks: service
        ).addRoutes(to: router)
        return router
    }

    /// Registers a connection with an in-memory transport, its welcome already taken.
    func connect(userID: String? = nil, subscriptions: [String]) throws -> TestTransport {
        let transport = TestTransport()
        _ = try hub.addConnection(
            transport: transport,
            on: executor,
            userID: userID,
            sessionID: nil,
            subscriptions: try subscriptions.map { name throws(TaskwireError) in try StreamName(validating: name) }
        )
        _ = transport.take()
        return transport
    }

    /// Runs `body` with a client that sends requests straight to the router.
    func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let application = Application(router: makeRouter(), logger: Logger(label: "taskwire.test"))
        try await application.test(.router, body)
    }
}

extension TestClientProtocol {
    /// `POST uri` with `body` as the request body.
    func post(_ uri: String, _ body: String) async throws -> TestResponse {
        try await execute(uri: uri, method: .post, body: ByteBuffer(string: body))
    }

    /// `GET uri`.
    func get(_ uri: String) async throws -> TestResponse {
        try await execute(uri: uri, method: .get)
    }

    /// Creates a task and returns it, checking the 201.
    func createTask(
        _ body: String = #"{"name":"job"}"#,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JSONValue {
        let response = try await post("/api/v1/tasks", body)
        #expect(response.status == .created, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
        return response.json
    }

    /// Claims the next task of `queue` for `worker`, checking the 200.
    func claim(
        queue: String = "default",
        worker: String = "w1",
        leaseSeconds: Int = 30,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JSONValue {
        let response = try await post("/api/v1/queues/\(queue)/claim", #"{"worker_id":"\#(worker)","lease_seconds":\#(leaseSeconds)}"#)
        #expect(response.status == .ok, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
        return response.json
    }
}

extension JSONValue {
    /// The value of a string member, or nil.
    func string(_ key: String) -> String? { self[key]?.stringValue }
    /// The value of an integer member, or nil.
    func int(_ key: String) -> Int64? { self[key]?.int64Value }
    /// The id of a task document.
    var id: String { string("id") ?? "" }
}

/// A store that cannot be reached: every call throws `unavailable` (`migrate()` too, unless told otherwise).
struct UnreachableTaskStore: TaskStore {
    var migrates = false
    var error: TaskQueueError { TaskQueueError(.unavailable, "the task store does not answer") }

    func migrate() async throws { if !migrates { throw error } }
    func insert(_ task: TaskRecord, onCommit: @escaping CommitObserver) async throws { throw error }
    func task(id: String) async throws -> TaskRecord? { throw error }
    func list(_ query: TaskListQuery) async throws -> TaskPage { throw error }
    func update(
        id: String,
        _ change: @escaping @Sendable (inout TaskRecord) throws -> Void,
        onCommit: @escaping CommitObserver
    ) async throws -> TaskRecord { throw error }
    func claimNext(
        queue: String,
        _ change: @escaping @Sendable (inout TaskRecord) -> Void,
        onCommit: @escaping CommitObserver
    ) async throws -> TaskRecord? { throw error }
    func expireLeases(
        now: Timestamp,
        _ change: @escaping @Sendable (inout TaskRecord) -> Void,
        onCommit: @escaping CommitObserver
    ) async throws -> [TaskRecord] { throw error }
    var eventEpoch: String { "unreachable" }
    func events(taskID: String, after seq: UInt64, limit: Int) async throws -> [TaskEventRecord] { throw error }
    func counts() async throws -> QueueCounts { throw error }
    func checkHealth() async throws { throw error }
}
