import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import TaskwireClient
import TaskwireHub
import TaskwireQueue
import TaskwireServer

/// A Taskwire server run in-process on a loopback port, which tests can stop and start again on
/// the same port (its hub history, kept in memory, is lost in between, as on a real restart).
///
/// The first start binds port 0 and keeps the port the system chose: a port probed free and
/// bound later could be taken in between by a server of a test running in parallel, and the
/// test would then talk to that server.
final class LiveServer: Sendable {
    private let boundPort = Mutex<Int?>(nil)
    private let running = Mutex<(group: ServiceGroup, task: Task<Void, any Error>)?>(nil)
    private let logger = Logger(label: "taskwire.client-test")
    private let configure: @Sendable (inout TaskwireConfiguration) -> Void

    /// - Parameter configure: changes to the standard configuration (the address is set after it).
    init(configure: @escaping @Sendable (inout TaskwireConfiguration) -> Void = { _ in }) async throws {
        self.configure = configure
    }

    /// The port, known once the server started the first time.
    var port: Int {
        guard let port = boundPort.withLock({ $0 }) else { preconditionFailure("the live server has not started yet") }
        return port
    }

    var address: ServerAddress { get throws { try ServerAddress("http://127.0.0.1:\(port)") } }
    var api: TaskwireHTTPClient { get throws { TaskwireHTTPClient(server: try address, timeout: .seconds(5)) } }

    /// Starts the server and waits until it answers over HTTP.
    func start() async throws {
        var configuration = TaskwireConfiguration.standard
        configuration.hub.shutdownGracePeriod = .seconds(2)
        configure(&configuration)
        configuration.http.host = "127.0.0.1"
        configuration.http.port = boundPort.withLock { $0 } ?? 0
        configuration.logLevel = .warning
        let listening = AsyncStream<Int>.makeStream()
        let app = try buildApplication(configuration: configuration, logger: logger, store: InMemoryTaskStore()) { channel in
            listening.continuation.yield(channel.localAddress?.port ?? 0)
            listening.continuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            // A server that could not start (its port taken) never calls back: end the wait.
            defer { listening.continuation.finish() }
            try await group.run()
        }
        running.withLock { $0 = (group, task) }
        var ports = listening.stream.makeAsyncIterator()
        guard let bound = await ports.next(), bound > 0 else {
            throw TaskwireClientError(.connectionLost, "the live server did not start listening")
        }
        boundPort.withLock { $0 = bound }
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
