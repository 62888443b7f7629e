public import ServiceLifecycle

/// Runs the hub's background work under swift-service-lifecycle: the heartbeat (every
/// `ping_interval`, checked more often so a missing pong is caught within `pong_timeout`), the
/// cleanup (every `cleanup_interval`) and the throughput sampler (every second). On graceful
/// shutdown it closes every client with 1001 and waits for them to go.
public struct HubService: Service {
    let hub: Hub

    public init(hub: Hub) {
        self.hub = hub
    }

    public func run() async throws {
        let config = hub.configuration
        // The loops run until graceful shutdown (or cancellation); then the clients are closed.
        try? await cancelWhenGracefulShutdown {
            await Self.runLoops(hub: hub, config: config)
        }
        await hub.shutdown()
    }

    private static func runLoops(hub: Hub, config: HubConfiguration) async {
        await withDiscardingTaskGroup { group in
            if config.enableHeartbeat {
                let tick = max(.milliseconds(100), min(config.pingInterval, config.pongTimeout) / 4)
                group.addTask {
                    await Self.every(tick) { await hub.heartbeat() }
                }
            }
            group.addTask {
                await Self.every(config.cleanupInterval) { await hub.cleanup() }
            }
            group.addTask {
                await Self.every(.seconds(1)) { hub.sampleMetrics() }
            }
        }
    }

    private static func every(_ interval: Duration, _ body: @Sendable () async -> Void) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            await body()
        }
    }
}
