import ArgumentParser
import Logging
import NIOCore
import NIOPosix
import Synchronization
import TaskwireHub
import TaskwireProtocol
import TaskwireQueue
import TaskwireSQLite
import TaskwireWebSocket

/// `taskwire bench lifecycle`: tasks per second through the whole task lifecycle on the
/// embedded store, with every event reaching a subscriber, beside the same three SQLite
/// transactions done bare.
struct LifecycleBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lifecycle",
        abstract: "Measure create → claim → complete on the SQLite store, events included, against bare SQLite."
    )

    @Option(help: "Tasks to run through their lifecycle.")
    var tasks = 5000

    @Option(help: "Concurrent producers creating tasks.")
    var producers = 4

    @Option(help: "Concurrent workers claiming and completing tasks.")
    var workers = 8

    @Option(help: "Directory for the benchmark's database files (deleted afterwards).")
    var directory = "/tmp"

    @Option(help: "SQLite synchronous level: normal, full or extra.")
    var synchronous = "full"

    func run() async throws {
        let level: SQLiteStoreConfiguration.Synchronous
        switch synchronous {
        case "normal": level = .normal
        case "full": level = .full
        case "extra": level = .extra
        default: throw ValidationError("--synchronous must be normal, full or extra")
        }
        let base = "\(directory)/taskwire-bench-\(UInt32.random(in: 0...UInt32.max))"
        defer { for suffix in ["", "-wal", "-shm", ".bare", ".bare-wal", ".bare-shm"] { unlink(base + suffix) } }

        let bare = try await SQLiteBaseline.run(path: base + ".bare", synchronous: level, tasks: tasks, producers: producers, workers: workers)
        let (taskwire, eventsSeconds) = try await runTaskwire(path: base, level: level)

        let bareRate = Double(tasks) / bare
        let rate = Double(tasks) / taskwire
        print("tasks \(tasks), producers \(producers), workers \(workers), synchronous \(synchronous)")
        print("bare SQLite (3 transactions per task): \(Self.format(bareRate)) tasks/s (\(Self.format(bare)) s)")
        print("taskwire lifecycle with events:        \(Self.format(rate)) tasks/s (\(Self.format(taskwire)) s), ratio \(Self.format(rate / bareRate))")
        print("events to a subscriber: \(tasks * 3) in \(Self.format(eventsSeconds)) s after start (\(Self.format(Double(tasks * 3) / eventsSeconds)) events/s)")
    }

    private func runTaskwire(path: String, level: SQLiteStoreConfiguration.Synchronous) async throws -> (lifecycle: Double, events: Double) {
        let logger = Logger(label: "taskwire.bench")
        let executor = EventLoopExecutor(MultiThreadedEventLoopGroup.singleton.next())
        let hub = Hub(configuration: .highPerformance, executors: [executor], logger: logger)
        let store = try SQLiteTaskStore(path: path, configuration: .init(synchronous: level), logger: logger)
        try await store.migrate()
        let service = TaskService(store: store, hub: hub)

        let expected = tasks * 3
        let subscriber = CountingTransport(expected: expected)
        try await executor.eventLoop.submit {
            try hub.addConnection(
                transport: subscriber,
                on: executor,
                subscriptions: [.taskCreated, .taskUpdated, .taskCompleted],
                slotReserved: false
            )
        }.get()

        let clock = ContinuousClock()
        let start = clock.now
        let completed = CompletionCounter()
        let total = tasks
        let producers = self.producers
        try await withThrowingTaskGroup(of: Void.self) { group in
            for p in 0..<producers {
                group.addTask {
                    for _ in stride(from: p, to: total, by: producers) {
                        _ = try await service.create(NewTask(queue: "bench", name: "bench", payload: #"{"n":1}"#))
                    }
                }
            }
            for w in 0..<workers {
                group.addTask {
                    while completed.value.load(ordering: .relaxed) < total {
                        guard let task = try await service.claim(queue: "bench", workerID: "w\(w)", leaseSeconds: 60) else {
                            try await Task.sleep(for: .milliseconds(1))
                            continue
                        }
                        _ = try await service.complete(id: task.id, workerID: "w\(w)", result: "null")
                        completed.value.add(1, ordering: .relaxed)
                    }
                }
            }
            try await group.waitForAll()
        }
        let lifecycle = clock.now - start
        await subscriber.waitForAll()
        let events = clock.now - start
        try store.close()
        return (lifecycle.seconds, events.seconds)
    }

    static func format(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return String(rounded)
    }
}

/// Lifecycles finished so far, shared by the workers.
private final class CompletionCounter: Sendable {
    let value = Atomic<Int>(0)
}

/// A subscriber that only counts what it is sent.
private final class CountingTransport: ClientTransport, @unchecked Sendable {
    // `received` is touched only on the connection's executor; `done` is a Mutex.
    private var received = 0
    private let expected: Int
    private let done = Mutex<(finished: Bool, waiter: CheckedContinuation<Void, Never>?)>((false, nil))

    init(expected: Int) {
        self.expected = expected
    }

    var isWritable: Bool { true }

    func write(_ message: OutboundMessage) {
        // The welcome is not an event.
        guard message.json.readableBytesView.starts(with: #"{"type":"task_update""#.utf8) else { return }
        received += 1
        if received == expected {
            let waiter = done.withLock { state -> CheckedContinuation<Void, Never>? in
                state.finished = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }

    func flush() {}
    func sendPing() {}
    func close(code: CloseCode, reason: String) {}
    func abort() {}

    func waitForAll() async {
        await withCheckedContinuation { continuation in
            let finished = done.withLock { state in
                if !state.finished { state.waiter = continuation }
                return state.finished
            }
            if finished { continuation.resume() }
        }
    }
}
