import Configuration
import Foundation
import Logging
import TaskwireHub
import TaskwireServer
import Testing

@Suite struct ConfigurationLoadingTests {
    @Test func noSourcesGiveTheStandardPreset() async throws {
        let config = try await TaskwireConfiguration.load(environment: [:])
        #expect(config == .standard)
    }

    @Test func everyKeyIsReadFromTheEnvironment() async throws {
        let config = try await TaskwireConfiguration.load(environment: [
            "TASKWIRE_PRESET": "lightweight",
            "TASKWIRE_HUB_MAX_CONNECTIONS": "50",
            "TASKWIRE_HUB_PING_INTERVAL": "2m",
            "TASKWIRE_HUB_PONG_TIMEOUT": "500ms",
            "TASKWIRE_HUB_MAX_MESSAGE_SIZE": "32KiB",
            "TASKWIRE_HUB_ENABLE_COMPRESSION": "true",
            "TASKWIRE_HUB_ENABLE_HEARTBEAT": "no",
            "TASKWIRE_HUB_CLEANUP_INTERVAL": "1h",
            "TASKWIRE_HUB_OUTBOUND_QUEUE_MESSAGES": "77",
            "TASKWIRE_HUB_OUTBOUND_QUEUE_BYTES": "1MiB",
            "TASKWIRE_HUB_MAX_BAD_MESSAGES": "3",
            "TASKWIRE_HUB_MAX_SUBSCRIPTIONS_PER_CONNECTION": "9",
            "TASKWIRE_HUB_CLOSE_TIMEOUT": "1.5",
            "TASKWIRE_HUB_SHUTDOWN_GRACE_PERIOD": "0",
            "TASKWIRE_HTTP_HOST": "0.0.0.0",
            "TASKWIRE_HTTP_PORT": "9001",
            "TASKWIRE_HTTP_MAX_BODY_SIZE": "4096",
            "TASKWIRE_LOG_LEVEL": "debug",
        ])
        #expect(config.preset == .lightweight)
        // The preset's hub with every key the environment set (fields without a key keep the preset's value).
        var expected = HubConfiguration.lightweight
        expected.maxConnections = 50
        expected.pingInterval = .seconds(120)
        expected.pongTimeout = .milliseconds(500)
        expected.maxMessageSize = 32 * 1024
        expected.enableCompression = true
        expected.enableHeartbeat = false
        expected.cleanupInterval = .seconds(3600)
        expected.outboundQueueMessages = 77
        expected.outboundQueueBytes = 1024 * 1024
        expected.maxBadMessages = 3
        expected.maxSubscriptionsPerConnection = 9
        expected.closeTimeout = .milliseconds(1500)
        expected.shutdownGracePeriod = .zero
        #expect(config.hub == expected)
        #expect(config.http == .init(host: "0.0.0.0", port: 9001, maxBodySize: 4096))
        #expect(config.logLevel == .debug)
    }

    @Test func presetGivesTheValuesNoSourceSets() async throws {
        let config = try await TaskwireConfiguration.load(flags: ["preset": "high-performance", "hub.max_connections": "7"], environment: [:])
        var expected = TaskwireConfiguration.highPerformance
        expected.hub.maxConnections = 7
        #expect(config == expected)
    }

    @Test func fileThenEnvironmentThenFlags() async throws {
        let file = try TemporaryFile(json: """
            {
              "preset": "lightweight",
              "hub": {"max_connections": 11, "ping_interval": "11s", "pong_timeout": 4, "enable_compression": true,
                      "max_message_size": 2048, "close_timeout": 0.25},
              "http": {"port": 1111, "host": "10.0.0.1"},
              "log": {"level": "notice"}
            }
            """)
        let config = try await TaskwireConfiguration.load(
            flags: ["http.port": "3333", "hub.ping_interval": "33s"],
            environment: ["TASKWIRE_HTTP_PORT": "2222", "TASKWIRE_HUB_MAX_CONNECTIONS": "22", "TASKWIRE_HUB_PING_INTERVAL": "22s"],
            configFile: file.path
        )
        #expect(config.preset == .lightweight)
        #expect(config.http.port == 3333)  // flag beats env and file
        #expect(config.hub.pingInterval == .seconds(33))  // flag beats env and file
        #expect(config.hub.maxConnections == 22)  // env beats file
        #expect(config.hub.pongTimeout == .seconds(4))  // file: number of seconds
        #expect(config.hub.enableCompression == true)  // file beats preset
        #expect(config.hub.maxMessageSize == 2048)
        #expect(config.hub.closeTimeout == .milliseconds(250))
        #expect(config.http.host == "10.0.0.1")
        #expect(config.logLevel == .notice)
        #expect(config.hub.cleanupInterval == .seconds(120))  // lightweight preset, set nowhere
    }

    @Test func presetFromTheEnvironmentBeatsTheFile() async throws {
        let file = try TemporaryFile(json: #"{"preset": "lightweight"}"#)
        let config = try await TaskwireConfiguration.load(environment: ["TASKWIRE_PRESET": "high-performance"], configFile: file.path)
        #expect(config == .highPerformance)
    }

    @Test func configFileNamedByTheEnvironment() async throws {
        let file = try TemporaryFile(json: #"{"hub": {"max_bad_messages": 4}}"#)
        let config = try await TaskwireConfiguration.load(environment: ["TASKWIRE_CONFIG": file.path])
        #expect(config.hub.maxBadMessages == 4)
    }

    @Test func flatDottedKeysWorkInTheFileToo() async throws {
        let file = try TemporaryFile(json: #"{"hub.max_connections": 5}"#)
        let config = try await TaskwireConfiguration.load(environment: [:], configFile: file.path)
        #expect(config.hub.maxConnections == 5)
    }

    @Test func providersCanBeGivenDirectly() throws {
        let flags = InMemoryProvider(name: "flags", values: ["hub.max_connections": "3"])
        let defaults = InMemoryProvider(values: ["hub.max_connections": 4, "hub.enable_heartbeat": false, "hub.ping_interval": 2.5])
        let config = try TaskwireConfiguration(providers: [flags, defaults])
        #expect(config.hub.maxConnections == 3)
        #expect(config.hub.enableHeartbeat == false)
        #expect(config.hub.pingInterval == .milliseconds(2500))
    }

    @Test(arguments: [
        ("30s", Duration.seconds(30)), ("500ms", .milliseconds(500)), ("2m", .seconds(120)), ("1h", .seconds(3600)),
        ("45", .seconds(45)), ("0.5", .milliseconds(500)), (" 10 s ", .seconds(10)), ("1.5m", .seconds(90)),
    ])
    func durationForms(text: String, duration: Duration) async throws {
        let config = try await TaskwireConfiguration.load(flags: ["hub.ping_interval": text], environment: [:])
        #expect(config.hub.pingInterval == duration)
    }

    @Test(arguments: [("1024", 1024), ("64KiB", 65536), ("1MiB", 1_048_576), ("2GiB", 2_147_483_648), ("512B", 512), ("1.5KiB", 1536)])
    func sizeForms(text: String, bytes: Int) async throws {
        let config = try await TaskwireConfiguration.load(flags: ["hub.outbound_queue_bytes": text], environment: [:])
        #expect(config.hub.outboundQueueBytes == bytes)
    }

    @Test(arguments: [("true", true), ("false", false), ("yes", true), ("no", false), ("on", true), ("OFF", false), ("1", true), ("0", false)])
    func booleanForms(text: String, value: Bool) async throws {
        let config = try await TaskwireConfiguration.load(environment: ["TASKWIRE_HUB_ENABLE_HEARTBEAT": text])
        #expect(config.hub.enableHeartbeat == value)
    }

    @Test func environmentVariableNamesFollowTheKeys() {
        #expect(TaskwireConfiguration.Key.hubMaxConnections.environmentVariable == "TASKWIRE_HUB_MAX_CONNECTIONS")
        #expect(TaskwireConfiguration.Key.httpMaxBodySize.environmentVariable == "TASKWIRE_HTTP_MAX_BODY_SIZE")
        #expect(TaskwireConfiguration.Key.logLevel.environmentVariable == "TASKWIRE_LOG_LEVEL")
        #expect(TaskwireConfiguration.Key.preset.environmentVariable == "TASKWIRE_PRESET")
        #expect(TaskwireConfiguration.Key.authJWTSecret.environmentVariable == "TASKWIRE_AUTH_JWT_SECRET")
        #expect(TaskwireConfiguration.Key.all.count == 34)
        #expect(Set(TaskwireConfiguration.Key.all.map(\.name)).count == 34)
    }

    @Test func everyKeyRoundTripsThroughItsTextForm() async throws {
        var custom = TaskwireConfiguration.lightweight
        custom.hub.pongTimeout = .milliseconds(1500)
        custom.hub.maxMessageSize = 1000
        custom.http.port = 0
        custom.logLevel = .trace
        custom.hub.rateLimitMessagesPerSecond = 12.5
        custom.hub.rateLimitBurst = 7
        custom.hub.maxConnectionsPerUser = 3
        custom.auth.secure = true
        custom.auth.jwtPublicKeys = ["/keys/a.pem", "/keys/b.pem"]
        custom.auth.allowedOrigins = ["https://a.example", "https://b.example"]
        custom.http.tlsCertificate = "/tls/cert.pem"
        custom.http.tlsKey = "/tls/key.pem"
        for original in [TaskwireConfiguration.standard, .highPerformance, .lightweight, custom] {
            var flags: [String: String] = [:]
            for key in TaskwireConfiguration.Key.all { flags[key.name] = original.text(for: key) }
            let loaded = try await TaskwireConfiguration.load(flags: flags, environment: [:])
            #expect(loaded == original)
        }
    }
}

/// A JSON file in the temporary directory, removed when the value goes.
final class TemporaryFile {
    let path: String

    init(json: String) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("taskwire-\(UUID().uuidString).json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The security keys: validation, and the secret kept out of every display.
@Suite struct ConfigurationSecurityKeysTests {
    @Test func secureNeedsAKeyAndTLSNeedsBothFiles() async throws {
        await #expect(throws: TaskwireConfigurationError.self) {
            _ = try await TaskwireConfiguration.load(flags: ["auth.secure": "true"], environment: [:])
        }
        await #expect(throws: TaskwireConfigurationError.self) {
            _ = try await TaskwireConfiguration.load(flags: ["http.tls_cert": "/c.pem"], environment: [:])
        }
        let loaded = try await TaskwireConfiguration.load(
            flags: ["auth.secure": "true", "auth.jwt_public_keys": " /a.pem , /b.pem ", "auth.allowed_origins": "https://x.example"],
            environment: ["TASKWIRE_AUTH_JWT_SECRET": "from-the-environment-0123456789abcdef"]
        )
        #expect(loaded.auth.jwtSecret == "from-the-environment-0123456789abcdef")
        #expect(loaded.auth.jwtPublicKeys == ["/a.pem", "/b.pem"])
        #expect(loaded.auth.allowedOrigins == ["https://x.example"])
        #expect(loaded.text(for: .authJWTSecret) == "<redacted>")
        #expect(TaskwireConfiguration.presetDefaults(for: .authSecure) == "false")
    }
}
