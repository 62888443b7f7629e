import Logging
import TaskwireHub
import TaskwireServer
import Testing

@Suite struct PresetTests {
    /// The seed's `WebSocketConfig` values, preset by preset.
    struct SeedValues: Sendable, CustomStringConvertible {
        var preset: TaskwireConfiguration.Preset
        var maxConnections: Int
        var pingInterval: Duration
        var pongTimeout: Duration
        var maxMessageSize: Int
        var enableCompression: Bool
        var enableHeartbeat: Bool
        var cleanupInterval: Duration

        var description: String { preset.name }
    }

    static let seed: [SeedValues] = [
        .init(
            preset: .standard, maxConnections: 1000, pingInterval: .seconds(30), pongTimeout: .seconds(10),
            maxMessageSize: 1024 * 1024, enableCompression: true, enableHeartbeat: true, cleanupInterval: .seconds(60)
        ),
        .init(
            preset: .highPerformance, maxConnections: 10000, pingInterval: .seconds(15), pongTimeout: .seconds(5),
            maxMessageSize: 4 * 1024 * 1024, enableCompression: true, enableHeartbeat: true, cleanupInterval: .seconds(30)
        ),
        .init(
            preset: .lightweight, maxConnections: 100, pingInterval: .seconds(60), pongTimeout: .seconds(30),
            maxMessageSize: 64 * 1024, enableCompression: false, enableHeartbeat: true, cleanupInterval: .seconds(120)
        ),
    ]

    @Test(arguments: seed)
    func presetsMatchTheSeed(_ seed: SeedValues) {
        let hub = seed.preset.configuration.hub
        #expect(hub.maxConnections == seed.maxConnections)
        #expect(hub.pingInterval == seed.pingInterval)
        #expect(hub.pongTimeout == seed.pongTimeout)
        #expect(hub.maxMessageSize == seed.maxMessageSize)
        #expect(hub.enableCompression == seed.enableCompression)
        #expect(hub.enableHeartbeat == seed.enableHeartbeat)
        #expect(hub.cleanupInterval == seed.cleanupInterval)
    }

    @Test func hubPartEqualsHubConfigurationPresets() {
        #expect(TaskwireConfiguration.standard.hub == HubConfiguration.standard)
        #expect(TaskwireConfiguration.highPerformance.hub == HubConfiguration.highPerformance)
        #expect(TaskwireConfiguration.lightweight.hub == HubConfiguration.lightweight)
        #expect(TaskwireConfiguration() == TaskwireConfiguration.standard)
    }

    @Test func staticPresetsAreThePresetsConfigurations() {
        #expect(TaskwireConfiguration.standard.preset == .standard)
        #expect(TaskwireConfiguration.highPerformance.preset == .highPerformance)
        #expect(TaskwireConfiguration.lightweight.preset == .lightweight)
        #expect(TaskwireConfiguration.highPerformance == TaskwireConfiguration.Preset.highPerformance.configuration)
    }

    @Test func httpDefaults() {
        let standard = TaskwireConfiguration.standard
        #expect(standard.http.host == "127.0.0.1")
        #expect(standard.http.port == 8080)
        #expect(standard.http.maxBodySize == 2 * 1024 * 1024)
        #expect(TaskwireConfiguration.highPerformance.http.maxBodySize == 8 * 1024 * 1024)
        #expect(TaskwireConfiguration.lightweight.http.maxBodySize == 128 * 1024)
        #expect(standard.logLevel == .info)
    }

    @Test(arguments: [
        ("standard", TaskwireConfiguration.Preset.standard), ("high-performance", .highPerformance),
        ("high_performance", .highPerformance), ("highPerformance", .highPerformance), ("LIGHTWEIGHT", .lightweight),
    ])
    func presetsAreFoundByName(name: String, preset: TaskwireConfiguration.Preset) {
        #expect(TaskwireConfiguration.Preset(name: name) == preset)
    }

    @Test func unknownPresetNameIsNil() {
        #expect(TaskwireConfiguration.Preset(name: "turbo") == nil)
    }

    @Test func tweakingAPresetKeepsTheRest() {
        var config = TaskwireConfiguration.highPerformance
        config.hub.outboundQueueMessages = 512
        #expect(config.hub.outboundQueueMessages == 512)
        #expect(config.hub.maxConnections == 10000)
    }
}
