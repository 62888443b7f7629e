import Synchronization
public import NIOCore
public import TaskwireProtocol

extension Hub {
    /// Sends a message to one client by id (the seed's `send_to_client`), from any context.
    /// - Throws: `not_found` when there is no such client, `forbidden` when it is not connected.
    public func sendToClient(_ clientID: String, _ json: ByteBuffer) async throws(TaskwireError) {
        let client = try lookUp(clientID)
        let message = makeMessage(json)
        let sent = await run(on: client.shard) { self.send(message, to: client) }
        guard sent else { throw TaskwireError(.forbidden, "connection \"\(clientID)\" is not connected") }
    }

    /// Sends a message to every connected client (the seed's `broadcast`).
    /// - Returns: the number of clients reached.
    @discardableResult
    public func broadcast(_ json: ByteBuffer) async -> Int {
        let message = makeMessage(json)
        var reached = 0
        for shard in shards {
            reached += await run(on: shard) {
                var n = 0
                for client in shard.clients.values where self.send(message, to: client) { n += 1 }
                return n
            }
        }
        return reached
    }

    // MARK: - Admin

    /// A snapshot of every connection, oldest first.
    public func connections() async -> [ConnectionInfo] {
        var all: [ConnectionInfo] = []
        for shard in shards {
            all += await run(on: shard) { shard.clients.values.map { $0.snapshot() } }
        }
        return all.sorted { ($0.connectedAt, $0.clientID) < ($1.connectedAt, $1.clientID) }
    }

    /// A snapshot of one connection.
    public func connection(_ clientID: String) async -> ConnectionInfo? {
        guard let client = directory.withLock({ $0[clientID] }) else { return nil }
        return await run(on: client.shard) { client.snapshot() }
    }

    /// Closes a connection by id with `code` (the admin API uses 1008).
    /// - Returns: false when there is no such connection.
    @discardableResult
    public func disconnect(_ clientID: String, code: CloseCode = .policyViolation, reason: String) async -> Bool {
        guard let client = directory.withLock({ $0[clientID] }) else { return false }
        await run(on: client.shard) { self.close(client, code: code, reason: reason) }
        return true
    }

    /// The seed's metrics with its calculated metrics.
    public func metricsSnapshot() -> HubMetricsSnapshot {
        metrics.snapshot(now: clock.now())
    }

    /// Records the sent-message count for the throughput window (the hub service does it every second).
    public func sampleMetrics() {
        metrics.sample(now: clock.now())
    }
}
