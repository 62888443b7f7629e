import Logging
public import NIOCore
public import TaskwireProtocol

extension Hub {
    /// Subscribes a connection to streams (the seed's `subscribe`): idempotent, all or nothing.
    /// Call on the connection's executor.
    /// - Returns: all of the connection's subscriptions afterwards, sorted.
    /// - Throws: `forbidden` when the subscriptions would pass the per-connection limit.
    @discardableResult
    public func subscribe(_ client: HubClient, to streams: [StreamName]) throws(TaskwireError) -> [String] {
        try subscribe(client, to: streams, since: [:]).subscriptions
    }

    /// Removes subscriptions (the seed's `unsubscribe`); idempotent. Call on the connection's executor.
    /// - Returns: all of the connection's subscriptions afterwards, sorted.
    @discardableResult
    public func unsubscribe(_ client: HubClient, from streams: [StreamName]) -> [String] {
        for stream in streams { client.shard.removeSubscription(client, name: stream.rawValue) }
        return client.subscribedStreams
    }

    /// Subscribes a connection given by id, from any context.
    public func subscribe(clientID: String, to streams: [StreamName]) async throws(TaskwireError) -> [String] {
        let client = try lookUp(clientID)
        let result: Result<[String], TaskwireError> = await run(on: client.shard) {
            Result { () throws(TaskwireError) -> [String] in try self.subscribe(client, to: streams) }
        }
        return try result.get()
    }

    /// Unsubscribes a connection given by id, from any context.
    public func unsubscribe(clientID: String, from streams: [StreamName]) async throws(TaskwireError) -> [String] {
        let client = try lookUp(clientID)
        return await run(on: client.shard) { self.unsubscribe(client, from: streams) }
    }

    /// A stream of a `subscribe` with `since` that the hub's history could not serve but its
    /// ``StreamArchive`` can: the subscription is held until the archive answered.
    struct ArchiveRecovery {
        var stream: StreamName
        /// The log the subscription reads (see ``Hub/logKey(for:of:)``).
        var key: String
        var since: StreamPosition
        var subscription: Subscription
        /// The stream's position when the subscription began.
        var position: StreamPosition
    }

    /// What a subscription request did.
    struct SubscribeOutcome {
        /// All of the connection's subscriptions afterwards, sorted.
        var subscriptions: [String]
        /// For each stream named in `since` (except those in `fromArchive`): whether everything
        /// after that position will be delivered.
        var recovered: [String: Bool] = [:]
        /// The missed events to send (after the ack, before live events), stream by stream.
        var replay: [OutboundMessage] = []
        /// Streams to recover from the archive before the ack is sent.
        var fromArchive: [ArchiveRecovery] = []
        /// Where each stream that is not recovered stands: live events follow this position.
        var resync: [String: StreamPosition] = [:]
    }

    /// Subscribes, recovering the streams named in `since` from the hub's history, or marking
    /// them for recovery from the archive.
    func subscribe(
        _ client: HubClient,
        to streams: [StreamName],
        since: [String: StreamPosition]
    ) throws(TaskwireError) -> SubscribeOutcome {
        var added: [String: StreamName] = [:]
        for stream in streams where client.subscriptions[stream.rawValue] == nil { added[stream.rawValue] = stream }
        guard client.subscriptions.count + added.count <= configuration.maxSubscriptionsPerConnection else {
            throw TaskwireError(.forbidden, "too many subscriptions: at most \(configuration.maxSubscriptionsPerConnection)")
        }
        if let refused = added.keys.sorted().first(where: { !client.access.canSubscribe(to: added[$0]!) }) {
            throw TaskwireError(.forbidden, "not permitted to subscribe to \"\(refused)\"")
        }
        var outcome = SubscribeOutcome(subscriptions: [])
        for name in added.keys.sorted() {
            let stream = added[name]!
            let key = logKey(for: stream, of: client)
            guard let (sub, position, missed) = client.shard.addSubscription(client, name: name, key: key, since: since[name]),
                let wanted = since[name]
            else { continue }
            if let missed {
                outcome.recovered[name] = true
                outcome.replay += missed
            } else if let epoch = self.streams.archiveEpoch(key), wanted.seq == 0 || wanted.epoch == epoch {
                sub.isHeld = true
                outcome.fromArchive.append(ArchiveRecovery(stream: stream, key: key, since: wanted, subscription: sub, position: position))
            } else {
                outcome.recovered[name] = false
                outcome.resync[name] = position
            }
        }
        for (name, position) in since where added[name] == nil {
            // Already subscribed: nothing to replay; say whether nothing was missed.
            let (seq, epoch) = self.streams.position(streamKey(name, of: client), now: clock.now())
            let ok = epoch == position.epoch && seq == position.seq
            outcome.recovered[name] = ok
            if !ok { outcome.resync[name] = StreamPosition(seq: seq, epoch: epoch) }
        }
        for ok in outcome.recovered.values { metrics.recovery(ok: ok) }
        if !added.isEmpty {
            logger.trace("subscribed", metadata: ["tw.client.id": "\(client.id)", "tw.stream": "\(added.keys.sorted())"])
        }
        outcome.subscriptions = client.subscribedStreams
        return outcome
    }

    /// Handles a `subscribe` message: subscribes, answers with the `ack`, then sends the replay.
    /// Streams recovered from the archive delay the ack until the archive has answered.
    func handleSubscribe(id: RequestID?, names: [String], since: [String: StreamPosition], from client: HubClient) {
        var outcome: SubscribeOutcome
        do throws(TaskwireError) {
            let streams = try validate(names, id: id)
            for name in since.keys where !names.contains(name) {
                throw TaskwireError(.badMessage, "field 'since' names \"\(name)\", which is not in 'event_types'", requestID: id)
            }
            outcome = try subscribe(client, to: streams, since: since)
        } catch {
            reject(error.withRequestID(id), from: client)
            return
        }
        guard !outcome.fromArchive.isEmpty, let archive = streams.archive else {
            finishSubscribe(id: id, outcome, askedSince: !since.isEmpty, client: client)
            return
        }
        // The outcome holds the connection's subscriptions: it goes to the archive read and back
        // untouched, and is used again only on the connection's executor.
        let held = ExecutorBound(outcome)
        let requests = outcome.fromArchive.map { ($0.key, $0.since.seq) }
        Task {
            var results: [[ArchivedEvent]?] = []
            for (key, seq) in requests {
                results.append(await Self.read(archive, key, after: seq, limit: Self.archiveReplayLimit))
            }
            let answers = results
            client.shard.executor.execute {
                var outcome = held.value
                for (recovery, events) in zip(outcome.fromArchive, answers) {
                    let name = recovery.stream.rawValue
                    self.metrics.recovery(ok: events != nil)
                    guard let events else {
                        outcome.recovered[name] = false
                        outcome.resync[name] = recovery.position
                        client.shard.release(recovery.subscription, coveredSeq: 0)
                        continue
                    }
                    outcome.recovered[name] = true
                    for event in events {
                        var json = ByteBuffer()
                        json.reserveCapacity(event.body.readableBytes + name.utf8.count + 64)
                        ServerMessage.closeEvent(event.body, stream: name, seq: event.seq, epoch: recovery.position.epoch, into: &json)
                        outcome.replay.append(self.makeMessage(json))
                    }
                    // Live events the replay covered are skipped; the rest follow the replay
                    // (the shard sends a connection's direct messages first).
                    client.shard.release(recovery.subscription, coveredSeq: events.last?.seq ?? recovery.since.seq)
                }
                guard client.state == .connected else { return }
                self.finishSubscribe(id: id, outcome, askedSince: true, client: client)
            }
        }
    }

    /// Most events one subscription recovers from the archive; past it, the client resyncs.
    static let archiveReplayLimit = 10_000

    /// Reads the events of the log `key` after `seq` from the archive, page by page.
    /// - Returns: nil when they are more than `limit`, when the archive no longer has the first
    ///   of them (it starts later), or when the archive fails.
    private static func read(_ archive: any StreamArchive, _ key: String, after seq: UInt64, limit: Int) async -> [ArchivedEvent]? {
        let page = 1000
        var events: [ArchivedEvent] = []
        var last = seq
        do {
            while true {
                let batch = try await archive.events(ofKey: key, after: last, limit: page)
                if let first = batch.first, first.seq != last + 1 { return nil }
                events += batch
                guard events.count <= limit else { return nil }
                guard batch.count == page, let newest = batch.last?.seq, newest > last else { return events }
                last = newest
            }
        } catch {
            return nil
        }
    }

    /// Sends the `ack` of a subscription (with `recovered`, and `resync` for the streams not
    /// recovered), then the replay.
    private func finishSubscribe(id: RequestID?, _ outcome: SubscribeOutcome, askedSince: Bool, client: HubClient) {
        if let id {
            send(
                ServerMessage.ack(id: id) { b in
                    b.writeStaticString(#","subscriptions":"#)
                    b.writeJSONStringArray(outcome.subscriptions)
                    guard askedSince else { return }
                    b.writeStaticString(#","recovered":{"#)
                    for (i, name) in outcome.recovered.keys.sorted().enumerated() {
                        if i > 0 { b.writeStaticString(",") }
                        b.writeJSONString(name)
                        b.writeStaticString(outcome.recovered[name]! ? ":true" : ":false")
                    }
                    b.writeStaticString("}")
                    guard !outcome.resync.isEmpty else { return }
                    b.writeStaticString(#","resync":{"#)
                    for (i, name) in outcome.resync.keys.sorted().enumerated() {
                        let position = outcome.resync[name]!
                        if i > 0 { b.writeStaticString(",") }
                        b.writeJSONString(name)
                        b.writeStaticString(#":{"seq":"#)
                        b.writeJSONInteger(position.seq)
                        b.writeStaticString(#","epoch":"#)
                        b.writeJSONString(position.epoch)
                        if let path = (try? StreamName(validating: name))?.snapshotPath {
                            b.writeStaticString(#","snapshot":"#)
                            b.writeJSONString(path)
                        }
                        b.writeStaticString("}")
                    }
                    b.writeStaticString("}")
                },
                to: client
            )
        }
        replay(outcome.replay, to: client)
    }
}

/// A value that crosses to another context and back without being touched there: it is read
/// only on the executor it came from.
struct ExecutorBound<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
