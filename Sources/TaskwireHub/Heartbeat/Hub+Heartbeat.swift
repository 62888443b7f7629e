import Synchronization
import Logging
public import TaskwireProtocol

extension Hub {
    /// Sends a ping to one connection now (the seed's `ping_client`): a `{"type":"ping"}`
    /// message and a WebSocket ping frame. Call on the connection's executor.
    public func ping(_ client: HubClient) {
        guard client.state == .connected else { return }
        let now = clock.now()
        if client.pingSentAt == nil { client.pingSentAt = now }
        client.lastPingSentAt = now
        send(ServerMessage.ping(), to: client)
        client.transport.sendPing()
    }

    /// Pings a connection given by id, from any context.
    /// - Throws: `not_found` when there is no such connection.
    public func pingClient(_ clientID: String) async throws(TaskwireError) {
        let client = try lookUp(clientID)
        await run(on: client.shard) { self.ping(client) }
    }

    /// Records a pong (the seed's `handle_pong`): a `pong` message or a WebSocket pong frame.
    /// Call on the connection's executor.
    public func handlePong(_ client: HubClient) {
        client.lastPing = clock.now()
        client.pingSentAt = nil
    }

    /// Records a pong from a connection given by id, from any context.
    public func handlePong(clientID: String) async throws(TaskwireError) {
        let client = try lookUp(clientID)
        await run(on: client.shard) { self.handlePong(client) }
    }

    /// Finds connections that did not answer a ping within `pong_timeout` (the seed's
    /// `check_timeouts`), closes them with 4002 and counts them.
    /// - Returns: the ids of the connections timed out.
    @discardableResult
    public func checkTimeouts() async -> [String] {
        var timedOut: [String] = []
        for shard in shards {
            timedOut += await run(on: shard) { self.sweep(shard, sendPings: false) }
        }
        return timedOut
    }

    /// One heartbeat round on every shard: pings connections whose ping is due and closes
    /// those whose pong is overdue. Returns the ids timed out.
    @discardableResult
    public func heartbeat() async -> [String] {
        var timedOut: [String] = []
        for shard in shards {
            timedOut += await run(on: shard) { self.sweep(shard, sendPings: true) }
        }
        return timedOut
    }

    /// One pass over a shard's connections. Runs on the shard's executor.
    private func sweep(_ shard: HubShard, sendPings: Bool) -> [String] {
        let now = clock.now()
        var timedOut: [String] = []
        for client in shard.clients.values where client.state == .connected {
            if closeIfExpired(client, now: now) { continue }
            if let sentAt = client.pingSentAt, now - sentAt >= configuration.pongTimeout {
                timedOut.append(client.id)
                metrics.pingTimeout()
                logger.debug("heartbeat timeout", metadata: ["tw.client.id": "\(client.id)"])
                close(client, code: .heartbeatTimeout, reason: "no pong within pong_timeout")
            } else if sendPings, now - client.lastPingSentAt >= configuration.pingInterval {
                ping(client)
            } else if client.pending.contains(where: { $0.isBehindLog }) {
                // A connection that stopped reading holds no copies, but once its stream logs
                // have moved past it, it can never catch up: let it go now.
                closeSlowConsumer(client)
            }
        }
        shard.trimLogs()
        return timedOut
    }

    /// The cleanup round (the seed's cleanup task): cuts connections stuck in their close
    /// handshake past `close_timeout`, forgets connections already gone, trims stream logs and
    /// forgets idle streams.
    /// - Returns: how many connection records were cleaned up.
    @discardableResult
    public func cleanup() async -> Int {
        var cleaned = 0
        for shard in shards {
            cleaned += await run(on: shard) {
                let now = self.clock.now()
                var n = 0
                for client in Array(shard.clients.values) {
                    switch client.state {
                    case .disconnecting:
                        if let since = client.closingSince, now - since >= self.configuration.closeTimeout {
                            client.transport.abort()
                            self.removeConnection(client)
                            n += 1
                        }
                    case .disconnected, .error:
                        client.transport.abort()
                        self.removeConnection(client)
                        n += 1
                    case .connecting, .connected:
                        break
                    }
                }
                shard.trimLogs()
                return n
            }
        }
        let now = clock.now()
        let evicted = streams.trimAndEvict(
            historySize: configuration.historySize,
            historyTTL: configuration.historyTTL,
            idleSince: now - configuration.cleanupInterval,
            now: now
        )
        if cleaned > 0 || evicted > 0 {
            logger.debug("cleanup", metadata: ["tw.cleaned": "\(cleaned)", "tw.streams.evicted": "\(evicted)"])
        }
        return cleaned
    }

    /// Tells every client the server is going away (close 1001) and waits until they are gone
    /// or `shutdown_grace_period` has passed, then cuts the rest. New connections are refused.
    public func shutdown() async {
        isShuttingDown.store(true, ordering: .relaxed)
        for shard in shards {
            await run(on: shard) {
                for client in shard.clients.values {
                    self.close(client, code: .goingAway, reason: "server shutting down")
                }
            }
        }
        let deadline = ContinuousClock.now + configuration.shutdownGracePeriod
        while connectionCount > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for shard in shards {
            await run(on: shard) {
                for client in Array(shard.clients.values) {
                    client.transport.abort()
                    self.removeConnection(client)
                }
            }
        }
        logger.info("hub stopped")
    }
}

extension Timestamp {
    static func - (lhs: Timestamp, rhs: Duration) -> Timestamp {
        Timestamp(nanosecondsSinceEpoch: lhs.nanosecondsSinceEpoch - rhs.nanoseconds)
    }
}
