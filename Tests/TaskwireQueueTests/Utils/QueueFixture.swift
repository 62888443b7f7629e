import Logging
import TaskwireHub
import TaskwireProtocol
import TaskwireQueue
import TaskwireTesting

/// A task service on an in-memory store and a real hub (one immediate executor, a manual clock).
struct QueueFixture {
    let clock = ManualHubClock()
    let executor = ImmediateExecutor()
    let hub: Hub
    let store: any TaskStore
    let service: TaskService

    init(store: any TaskStore = InMemoryTaskStore(), configuration: QueueConfiguration = QueueConfiguration()) {
        self.store = store
        hub = Hub(configuration: .standard, executors: [executor], clock: clock, logger: Logger(label: "taskwire.test"))
        service = TaskService(store: store, hub: hub, configuration: configuration)
    }

    /// A connection subscribed to `streams`, its welcome already read.
    func subscriber(_ streams: [StreamName]) throws -> Subscriber {
        let transport = TestTransport()
        let client = try hub.addConnection(transport: transport, on: executor, subscriptions: streams)
        _ = transport.take()
        return Subscriber(client: client, transport: transport)
    }

    /// A subscriber to the four task streams and `queue:<queue>`.
    func taskWatcher(queue: String = "default") throws -> Subscriber {
        try subscriber([.taskCreated, .taskUpdated, .taskCompleted, .taskFailed, .queue(queue)])
    }
}

/// A registered connection and what it received.
struct Subscriber {
    let client: HubClient
    let transport: TestTransport

    /// The events received since the last call, as (stream, status, message).
    func events() -> [Event] {
        transport.take().map(Event.init)
    }
}

/// The parts of a `task_update` (or other) event that tests compare.
struct Event: Equatable, CustomStringConvertible {
    var type: String?
    var stream: String?
    var taskID: String?
    var status: String?
    var progress: Double?
    var message: String?
    var queue: String?

    init(_ json: JSONValue) {
        type = json["type"]?.stringValue
        stream = json["event_type"]?.stringValue
        taskID = json["task_id"]?.stringValue
        status = json["status"]?.stringValue
        progress = json["progress"]?.doubleValue
        message = json["message"]?.stringValue
        queue = json["queue"]?.stringValue
    }

    var description: String {
        "\(stream ?? "-") \(status ?? "-") \(progress.map { "\($0)" } ?? "-") \(message ?? "-")"
    }
}

extension [Event] {
    /// The streams of these events, in order.
    var streams: [String] { map { $0.stream ?? "?" } }
}
