import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import TaskwireClient
import TaskwireHub
import TaskwireQueue
import TaskwireServer

/// A Taskwire server run in-process on a fixed loopback port, which tests can stop and start
/// again on the same port (its hub history, kept in memory, is lost in between, as on a real restart).
final class LiveServer: Sendable {
    let port: Int
    private let running = Mutex<(group: ServiceGroup, task: Task<Void, any Error>)?>(nil)
    private let logger = Logger(label: "taskwire.client-test")
    private let configure: @Sendable (inout TaskwireConfiguration) -> Void

    /// - Parameter configure: changes to the standard configuration (the address is set after it).
    init(configure: @escaping @Sendable (inout TaskwireConfiguration) -> Void = { _ in }) async throws {
        self.configure = configure
        let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        port = probe.localAddress?.port ?? 0
        try await probe.close()
    }

    var address: ServerAddress { get throws { try ServerAddress("http://127.0.0.1:\(port)") } }
    var api: TaskwireHTTPClient { get throws { TaskwireHTTPClient(server: try address, timeout: .seconds(5)) } }

    /// Starts the server and waits until it answers over HTTP.
    func start() async throws {
        var configuration = TaskwireConfiguration.standard
        configuration.hub.shutdownGracePeriod = .seconds(2)
        configure(&configuration)
        configuration.http.host = "127.0.0.1"
        configuration.http.port = port
        configuration.logLevel = .warning
        let app = try buildApplication(configuration: configuration, logger: logger, store: InMemoryTaskStore())
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task { try await group.run() }
        running.withLock { $0 = (group, task) }
        let api = try self.api
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(20)
        while true {
            do {
                _ = try await api.metrics()
                return
            } catch {
                if clock.now > deadline { throw error }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Shuts the server down gracefully (clients are closed with 1001) and waits until it is gone.
    func stop() async throws {
        guard let current = running.withLock({ value in defer { value = nil }; return value }) else { return }
        await current.group.triggerGracefulShutdown()
        try await current.task.value
    }
}
