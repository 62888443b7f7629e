import Logging
import MetricsTestKit
import NIOCore
import TaskwireHub
import TaskwireProtocol
import TaskwireTesting

/// A hub with two shards on immediate executors, a manual clock and test metrics.
struct HubFixture {
    let clock = ManualHubClock()
    let executors = [ImmediateExecutor(), ImmediateExecutor()]
    let metrics = TestMetrics()
    let hub: Hub

    init(_ configure: (inout HubConfiguration) -> Void = { _ in }) {
        var configuration = HubConfiguration.standard
        configure(&configuration)
        hub = Hub(
            configuration: configuration,
            executors: executors,
            clock: clock,
            logger: Logger(label: "taskwire.test"),
            metricsFactory: metrics
        )
    }

    /// Registers a connection on shard `shard` with a fresh test transport.
    func connect(
        shard: Int = 0,
        userID: String? = nil,
        sessionID: String? = nil,
        subscriptions: [String] = []
    ) throws -> Peer {
        let transport = TestTransport()
        let client = try hub.addConnection(
            transport: transport,
            on: executors[shard],
            userID: userID,
            sessionID: sessionID,
            subscriptions: try subscriptions.map(stream)
        )
        return Peer(client: client, transport: transport)
    }

    /// Like ``connect(shard:userID:sessionID:subscriptions:)``, and drops the welcome.
    func connected(shard: Int = 0, subscriptions: [String] = []) throws -> Peer {
        let peer = try connect(shard: shard, subscriptions: subscriptions)
        _ = peer.transport.take()
        return peer
    }

    /// Publishes a `custom` event carrying `data` on `name`.
    @discardableResult
    func publish(_ data: String, to name: String) throws -> UInt64 {
        hub.publish(ServerMessage.customBody(data: ByteBuffer(string: data)), to: try stream(name))
    }

    /// Sends a client text message from `peer`.
    func send(_ text: String, from peer: Peer) {
        hub.handleText(ByteBuffer(string: text), from: peer.client)
    }
}

/// A registered connection and its in-memory transport.
struct Peer {
    let client: HubClient
    let transport: TestTransport

    var id: String { client.id }
}

func stream(_ name: String) throws(TaskwireError) -> StreamName {
    try StreamName(validating: name)
}

extension JSONValue {
    /// The message's `type`.
    var messageType: String? { self["type"]?.stringValue }
    /// An integer member.
    func int(_ key: String) -> Int64? { self[key]?.int64Value }
    /// A string member.
    func string(_ key: String) -> String? { self[key]?.stringValue }
    /// An array-of-strings member.
    func strings(_ key: String) -> [String]? {
        guard case .array(let items)? = self[key] else { return nil }
        let strings = items.compactMap(\.stringValue)
        return strings.count == items.count ? strings : nil
    }
    /// The keys of an object, sorted.
    var memberNames: [String] {
        guard case .object(let members) = self else { return [] }
        return members.keys.sorted()
    }
}
