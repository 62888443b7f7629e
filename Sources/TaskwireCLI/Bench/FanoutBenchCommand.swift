import ArgumentParser
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOCore
import NIOPosix
import Synchronization
import TaskwireHub
import TaskwireProtocol
import TaskwireWebSocket

/// `taskwire bench fanout`: the hub's hot path alone. Publishes `--messages` custom events to
/// `--subscribers` in-memory connections spread over `--shards` event loops, as the server does
/// (each event numbered and framed once, handed to each shard, written to each connection), and
/// reports wall time and CPU time per delivery. The sockets are left out: a connection counts
/// the frames it is handed. Run with `scripts/bench/malloc_counter.c` preloaded (as
/// `scripts/bench-hotpath` does), it also reports heap allocations per delivery, a figure that
/// does not depend on how busy the machine is. Run under `scripts/bench/icount.c` with
/// `--mark-window`, it is counted in instructions too.
struct FanoutBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fanout",
        abstract: "Measure the hub's fan-out: deliveries per second to in-memory connections."
    )

    @Option(help: "Subscribed connections.")
    var subscribers = 1000

    @Option(help: "Events published.")
    var messages = 1000

    @Option(help: "Event loops (hub shards) the connections are spread over.")
    var shards = 1

    @Option(help: "Bytes of each event's data.")
    var size = 100

    @Option(help: "Events published before the publisher waits for the oldest to be counted.")
    var window = 64

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "Raise SIGUSR1 as the measured window starts and SIGUSR2 as it ends, for an instruction counter tracing the process (scripts/bench/icount.c).")
    var markWindow = false

    func validate() throws {
        guard subscribers >= 1 else { throw ValidationError("--subscribers must be at least 1") }
        guard messages >= 0 else { throw ValidationError("--messages must not be negative") }
        guard (1...64).contains(shards) else { throw ValidationError("--shards must be between 1 and 64") }
        guard (1...1_000_000).contains(size) else { throw ValidationError("--size must be between 1 and 1000000") }
        guard window >= 1 else { throw ValidationError("--window must be at least 1") }
        // Untraced, the signals would end the process.
        guard !markWindow || Self.isTraced() else {
            throw ValidationError("--mark-window needs a tracer that handles SIGUSR1 and SIGUSR2, such as scripts/bench/icount.c")
        }
    }

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: shards)
        let executors = EventLoopExecutor.executors(for: group)
        var configuration = HubConfiguration.highPerformance
        configuration.maxConnections = max(configuration.maxConnections, subscribers)
        configuration.enableHeartbeat = false
        let hub = Hub(configuration: configuration, executors: executors, framer: WebSocketFramer(), logger: Logger(label: "taskwire.bench"))
        let stream = try StreamName(validating: "bench")
        let finished = FinishLine(connections: subscribers)
        for i in 0..<subscribers {
            let executor = executors[i % executors.count]
            let sink = SinkTransport(expected: messages, finished: finished)
            try await executor.eventLoop.submit {
                _ = try hub.addConnection(transport: sink, on: executor, subscriptions: [stream])
            }.get()
        }

        let data = "{\"pad\":\"" + String(repeating: "x", count: max(0, size - 10)) + "\"}"
        let body = ServerMessage.customBody(data: ByteBuffer(string: data))
        let counted = AsyncStream<Void>.makeStream()
        var countedEvents = counted.stream.makeAsyncIterator()
        let allocationCount = Self.allocationCounter()
        let allocationsBefore = allocationCount?() ?? 0
        let cpuBefore = Self.cpuSeconds()
        let clock = ContinuousClock()
        if markWindow { Self.mark(SIGUSR1) }
        let start = clock.now
        for i in 0..<messages {
            if i >= window { _ = await countedEvents.next() }
            hub.publish(body, to: stream) { _ in counted.continuation.yield() }
        }
        await finished.wait()
        if markWindow { Self.mark(SIGUSR2) }
        let elapsed = (clock.now - start).seconds
        let cpu = Self.cpuSeconds() - cpuBefore
        let allocations = allocationCount.map { $0() - allocationsBefore }
        try await group.shutdownGracefully()
        report(deliveries: subscribers * messages, seconds: elapsed, cpu: cpu, allocations: allocations, closed: finished.closedCount)
        if finished.closedCount > 0 { throw ExitCode.failure }
    }

    private func report(deliveries: Int, seconds: Double, cpu: Double, allocations: UInt64?, closed: Int) {
        let per = { (value: Double) in deliveries > 0 ? value / Double(deliveries) : 0 }
        let rate = seconds > 0 ? Double(deliveries) / seconds : 0
        if json {
            let allocationsField = allocations.map { #","allocations_per_delivery":\#(per(Double($0)))"# } ?? ""
            print(
                #"{"subscribers":\#(subscribers),"messages":\#(messages),"shards":\#(shards),"size":\#(size),"#
                    + #""deliveries":\#(deliveries),"seconds":\#(seconds),"ns_per_delivery":\#(per(seconds * 1e9)),"#
                    + #""cpu_ns_per_delivery":\#(per(cpu * 1e9)),"deliveries_per_second":\#(rate),"closed":\#(closed)\#(allocationsField)}"#
            )
        } else {
            print("subscribers \(subscribers), messages \(messages), shards \(shards), data \(size) bytes")
            print("deliveries \(deliveries) in \(LifecycleBenchCommand.format(seconds)) s: \(Int(rate)) deliveries/s")
            print("per delivery: \(LifecycleBenchCommand.format(per(seconds * 1e9))) ns wall, \(LifecycleBenchCommand.format(per(cpu * 1e9))) ns CPU")
            if let allocations { print("heap allocations per delivery: \(LifecycleBenchCommand.format(per(Double(allocations))))") }
            if closed > 0 { print("connections closed by the hub: \(closed) (the bench is not valid)") }
        }
    }

    /// The process's user and system CPU time, in seconds.
    private static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return user + system
    }

    /// Raises `signal` in this thread, for the tracer: the threads Swift's tasks run on block
    /// signals, so it is let through for the moment of the raise.
    private static func mark(_ signal: CInt) {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, signal)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        raise(signal)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Whether a tracer is attached (`TracerPid` in `/proc/self/status`).
    private static func isTraced() -> Bool {
        guard let file = fopen("/proc/self/status", "r") else { return false }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(cString: line)
            if text.hasPrefix("TracerPid:") {
                return Int(String(text.dropFirst("TracerPid:".count).filter(\.isNumber))).map { $0 != 0 } ?? false
            }
        }
        return false
    }

    /// `taskwire_malloc_count` of `scripts/bench/malloc_counter.c`, when it is preloaded.
    private static func allocationCounter() -> (() -> UInt64)? {
        guard let symbol = dlsym(nil, "taskwire_malloc_count") else { return nil }
        let count = unsafeBitCast(symbol, to: (@convention(c) () -> UInt64).self)
        return { count() }
    }
}

/// Counts the connections that received every event (or were closed), and wakes the waiter.
private final class FinishLine: Sendable {
    private let state: Mutex<(remaining: Int, closed: Int, waiter: CheckedContinuation<Void, Never>?)>

    init(connections: Int) {
        state = Mutex((connections, 0, nil))
    }

    var closedCount: Int { state.withLock { $0.closed } }

    func arrive(closed: Bool = false) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.remaining -= 1
            if closed { state.closed += 1 }
            guard state.remaining == 0 else { return nil }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state in
                if state.remaining > 0 { state.waiter = continuation }
                return state.remaining <= 0
            }
            if done { continuation.resume() }
        }
    }
}

/// A connection that always takes what it is sent and counts the events among it.
private final class SinkTransport: ClientTransport, @unchecked Sendable {
    // Touched only on the connection's executor.
    private var received = 0
    private var bytes = 0
    private var done = false
    private let expected: Int
    private let finished: FinishLine

    init(expected: Int, finished: FinishLine) {
        self.expected = expected
        self.finished = finished
        if expected == 0 {
            done = true
            finished.arrive()
        }
    }

    var isWritable: Bool { true }

    func write(_ message: OutboundMessage) {
        bytes &+= message.frame.readableBytes
        // The welcome is not an event.
        guard message.json.readableBytesView.starts(with: #"{"type":"custom""#.utf8) else { return }
        received += 1
        if received == expected && !done {
            done = true
            finished.arrive()
        }
    }

    func flush() {}
    func sendPing() {}

    func close(code: CloseCode, reason: String) {
        guard !done else { return }
        done = true
        finished.arrive(closed: true)
    }

    func abort() {
        close(code: .goingAway, reason: "")
    }
}
