import Foundation
import TaskwireQueue
import TaskwireServer
import Testing

@Suite struct ConfigurationQueueKeysTests {
    @Test func defaultsArePerPreset() {
        #expect(TaskwireConfiguration.standard.store.database == "taskwire.db")
        #expect(TaskwireConfiguration.standard.queue.maxPayloadSize == 1024 * 1024)
        #expect(TaskwireConfiguration.highPerformance.queue.maxPayloadSize == 4 * 1024 * 1024)
        #expect(TaskwireConfiguration.lightweight.queue.maxPayloadSize == 64 * 1024)
        for preset in TaskwireConfiguration.Preset.all {
            let config = preset.configuration
            #expect(config.queue.maxPayloadSize < config.http.maxBodySize, "a largest payload fits in a request body")
            #expect(config.queue.leaseCheckInterval == .seconds(1))
            #expect(config.queue.statusInterval == .milliseconds(250))
        }
    }

    @Test func flagsSetTheStoreAndQueueKeys() async throws {
        let config = try await TaskwireConfiguration.load(
            flags: [
                "store.database": "/var/lib/taskwire/tasks.db",
                "queue.max_payload_size": "64KiB",
                "queue.lease_check_interval": "500ms",
                "queue.status_interval": "1s",
            ],
            environment: [:]
        )
        #expect(config.store.database == "/var/lib/taskwire/tasks.db")
        #expect(config.queue.maxPayloadSize == 64 * 1024)
        #expect(config.queue.leaseCheckInterval == .milliseconds(500))
        #expect(config.queue.statusInterval == .seconds(1))
    }

    @Test func environmentAndFileSetThemToo() async throws {
        let file = try TemporaryFile(json: #"{"store":{"database":"from-file.db"},"queue":{"max_payload_size":2048,"status_interval":2}}"#)
        let config = try await TaskwireConfiguration.load(
            environment: ["TASKWIRE_STORE_DATABASE": "from-env.db", "TASKWIRE_QUEUE_LEASE_CHECK_INTERVAL": "2s"],
            configFile: file.path
        )
        #expect(config.store.database == "from-env.db")
        #expect(config.queue.maxPayloadSize == 2048)
        #expect(config.queue.statusInterval == .seconds(2))
        #expect(config.queue.leaseCheckInterval == .seconds(2))
        #expect(TaskwireConfiguration.Key.storeDatabase.environmentVariable == "TASKWIRE_STORE_DATABASE")
    }

    @Test(arguments: [
        ("store.database", "", "must not be empty"),
        ("store.database", "postgres://localhost/taskwire", "is not a valid PostgreSQL URL"),
        ("queue.max_payload_size", "0", "at least 1 byte"),
        ("queue.max_payload_size", "big", "is not a size"),
        ("queue.lease_check_interval", "0s", "longer than 0"),
        ("queue.status_interval", "soon", "is not a duration"),
    ])
    func badValuesNameTheKey(key: String, value: String, mentions: String) async throws {
        await #expect {
            _ = try await TaskwireConfiguration.load(flags: [key: value], environment: [:])
        } throws: { error in
            let error = error as? TaskwireConfigurationError
            return error?.key == key && error?.description.contains(mentions) == true
        }
    }
}
