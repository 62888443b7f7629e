import Configuration
import TaskwireHub
import TaskwireServer
import Testing

@Suite struct ConfigurationErrorTests {
    /// Loads and returns the error, failing the test when there is none.
    func loadError(
        flags: [String: String] = [:],
        environment: [String: String] = [:],
        configFile: String? = nil
    ) async -> TaskwireConfigurationError? {
        do {
            let config = try await TaskwireConfiguration.load(flags: flags, environment: environment, configFile: configFile)
            Issue.record("expected an error, loaded \(config)")
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        ("TASKWIRE_HUB_MAX_CONNECTIONS", "lots", "hub.max_connections", "is not an integer"),
        ("TASKWIRE_HUB_PING_INTERVAL", "30x", "hub.ping_interval", "is not a duration"),
        ("TASKWIRE_HUB_PONG_TIMEOUT", "-5s", "hub.pong_timeout", "is not a duration"),
        ("TASKWIRE_HUB_MAX_MESSAGE_SIZE", "1MB", "hub.max_message_size", "is not a size"),
        ("TASKWIRE_HUB_ENABLE_COMPRESSION", "maybe", "hub.enable_compression", "is not true or false"),
        ("TASKWIRE_LOG_LEVEL", "loud", "log.level", "is not one of trace"),
        ("TASKWIRE_PRESET", "turbo", "preset", "is not one of standard, high-performance, lightweight"),
        ("TASKWIRE_HTTP_PORT", "80a", "http.port", "is not an integer"),
    ])
    func badEnvironmentValuesNameTheKeyTheValueAndTheVariable(variable: String, value: String, key: String, reason: String) async {
        let error = await loadError(environment: [variable: value])
        #expect(error?.key == key)
        let text = error?.description ?? ""
        #expect(text.contains(key), "\(text)")
        #expect(text.contains("\"\(value)\""), "\(text)")
        #expect(text.contains(reason), "\(text)")
        #expect(text.contains("environment variable \(variable)"), "\(text)")
    }

    @Test func badFlagValuesSayTheyCameFromAFlag() async {
        let error = await loadError(flags: ["hub.cleanup_interval": "soon"])
        #expect(error?.key == "hub.cleanup_interval")
        #expect(error?.description.contains("command-line flag") == true, "\(String(describing: error))")
    }

    @Test func badFileValuesSayTheyCameFromTheFile() async throws {
        let file = try TemporaryFile(json: #"{"hub": {"max_connections": "many"}}"#)
        let error = await loadError(configFile: file.path)
        #expect(error?.key == "hub.max_connections")
        #expect(error?.description.contains("config file") == true, "\(String(describing: error))")
    }

    @Test func wronglyTypedFileValuesAreErrors() async throws {
        let file = try TemporaryFile(json: #"{"hub": {"ping_interval": [1, 2]}}"#)
        let error = await loadError(configFile: file.path)
        #expect(error?.key == "hub.ping_interval")
    }

    @Test func aBadValueIsAnErrorEvenWhenAHigherSourceIsFine() async {
        // The flag wins, so the bad environment value is never read.
        let fine = try? await TaskwireConfiguration.load(
            flags: ["hub.max_connections": "5"],
            environment: ["TASKWIRE_HUB_MAX_CONNECTIONS": "lots"]
        )
        #expect(fine?.hub.maxConnections == 5)
    }

    @Test(arguments: [
        ("hub.max_connections", "0"), ("hub.ping_interval", "0s"), ("hub.pong_timeout", "0"), ("hub.max_message_size", "0"),
        ("hub.cleanup_interval", "0ms"), ("hub.outbound_queue_messages", "0"), ("hub.outbound_queue_bytes", "0"),
        ("hub.max_bad_messages", "-1"), ("hub.max_subscriptions_per_connection", "0"), ("http.port", "65536"),
        ("http.port", "-1"), ("http.max_body_size", "0"), ("http.host", ""),
    ])
    func outOfRangeValuesNameTheKey(key: String, value: String) async {
        let error = await loadError(flags: [key: value])
        #expect(error?.key == key, "\(String(describing: error))")
    }

    @Test func unknownFlagKeyIsAnError() async {
        let error = await loadError(flags: ["hub.max_conections": "5"])
        #expect(error?.key == "hub.max_conections")
        #expect(error?.message.contains("unknown") == true)
    }

    @Test func missingConfigFileIsAnError() async {
        let error = await loadError(configFile: "/nonexistent/taskwire.json")
        #expect(error?.key == "config")
        #expect(error?.description.contains("/nonexistent/taskwire.json") == true)
    }

    @Test func malformedConfigFileIsAnError() async throws {
        let file = try TemporaryFile(json: #"{"hub": {"max_connections": 5"#)
        let error = await loadError(configFile: file.path)
        #expect(error?.key == "config")
    }

    @Test func validateChecksAProgrammaticConfiguration() {
        var config = TaskwireConfiguration.standard
        #expect(throws: Never.self) { try config.validate() }
        config.hub.pingInterval = .zero
        #expect(throws: TaskwireConfigurationError.self) { try config.validate() }
    }
}
