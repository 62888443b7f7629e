import Logging
public import NIOCore
public import TaskwireProtocol

extension Hub {
    /// Handles one text message from a client (the seed's `WebSocketHandler::handle_message`):
    /// decodes it, checks it, routes it, and answers with `ack`, `pong` or `error`.
    /// Call on the connection's executor.
    public func handleText(_ text: ByteBuffer, from client: HubClient) {
        guard client.state == .connected else { return }
        metrics.received()
        if let rate = configuration.rateLimitMessagesPerSecond, !takeToken(client, rate: rate) {
            rateLimited(client)
            return
        }
        let message: ClientMessage
        do {
            message = try ClientMessage.decode(text)
        } catch {
            reject(error, from: client)
            return
        }
        handle(message, from: client)
    }

    /// Handles a decoded client message. Call on the connection's executor.
    public func handle(_ message: ClientMessage, from client: HubClient) {
        switch message {
        case .subscribe(let id, let names, let since):
            handleSubscribe(id: id, names: names, since: since, from: client)

        case .unsubscribe(let id, let names):
            do throws(TaskwireError) {
                let streams = try validate(names, id: id)
                let all = unsubscribe(client, from: streams)
                guard let id else { return }
                send(
                    ServerMessage.ack(id: id) { b in
                        b.writeStaticString(#","subscriptions":"#)
                        b.writeJSONStringArray(all)
                    },
                    to: client
                )
            } catch {
                reject(error, from: client)
            }

        case .custom(let id, let name, let data):
            let stream: StreamName
            do throws(TaskwireError) {
                stream = try StreamName(validating: name)
            } catch {
                reject(error.withRequestID(id), from: client)
                return
            }
            guard client.access.canPublish(on: stream) else {
                reject(TaskwireError(.forbidden, "not permitted to publish on \"\(name)\"", requestID: id), from: client)
                return
            }
            guard stream.isClientPublishable else {
                reject(
                    TaskwireError(.forbidden, "stream \"\(name)\" is written by the server alone; clients publish on custom streams", requestID: id),
                    from: client
                )
                return
            }
            guard acceptsPublishes else {
                // The server's state, not the client's fault: answered, not counted as a bad message.
                _ = send(ServerMessage.error(TaskwireError(.unavailable, "the cluster's event log cannot be reached; try again", requestID: id)), to: client)
                return
            }
            let body = ServerMessage.customBody(data: data)
            guard let id else {
                publish(body, to: stream)
                return
            }
            let shard = client.shard
            publish(body, to: stream) { delivered in
                shard.executor.execute {
                    self.send(
                        ServerMessage.ack(id: id) { b in
                            b.writeStaticString(#","delivered":"#)
                            b.writeJSONInteger(delivered)
                        },
                        to: client
                    )
                }
            }

        case .ping(let id):
            send(ServerMessage.pong(id: id), to: client)

        case .pong:
            handlePong(client)

        case .refresh(let id, let token):
            refresh(client, token: token, id: id)
        }
    }

    /// Answers a bad message with an `error`, and closes the connection with 1008 once it has
    /// sent more than `max_bad_messages` of them within a minute. Call on the connection's executor.
    public func reject(_ error: TaskwireError, from client: HubClient) {
        guard client.state == .connected else { return }
        let now = clock.now()
        if now - client.badMessageWindowStart >= .seconds(60) {
            client.badMessageWindowStart = now
            client.badMessageCount = 0
        }
        client.badMessageCount += 1
        send(ServerMessage.error(error), to: client)
        if client.badMessageCount > configuration.maxBadMessages {
            logger.debug("too many bad messages", metadata: ["tw.client.id": "\(client.id)"])
            close(client, code: .policyViolation, reason: "too many bad messages")
        }
    }

    /// Takes one token from the connection's bucket, refilled at `rate` per second up to
    /// `rateLimitBurst`. - Returns: false when the bucket is empty.
    private func takeToken(_ client: HubClient, rate: Double) -> Bool {
        let now = clock.now()
        let burst = Double(max(1, configuration.rateLimitBurst))
        let elapsed = max(0, (now - client.rateRefilledAt).seconds)
        client.rateTokens = min(burst, client.rateTokens + elapsed * max(0, rate))
        client.rateRefilledAt = now
        guard client.rateTokens >= 1 else { return false }
        client.rateTokens -= 1
        return true
    }

    /// Answers a message over the rate limit with `rate_limited` (not processed), and closes the
    /// connection with 4004 after more than `rateLimitMaxViolations` of them within a minute.
    private func rateLimited(_ client: HubClient) {
        let now = clock.now()
        if now - client.rateViolationWindowStart >= .seconds(60) {
            client.rateViolationWindowStart = now
            client.rateViolationCount = 0
        }
        client.rateViolationCount += 1
        metrics.rateLimited()
        send(ServerMessage.error(TaskwireError(.rateLimited, "too many messages: at most \(configuration.rateLimitMessagesPerSecond ?? 0) per second")), to: client)
        if client.rateViolationCount > configuration.rateLimitMaxViolations {
            logger.debug("rate limit exceeded repeatedly", metadata: ["tw.client.id": "\(client.id)"])
            close(client, code: .rateLimited, reason: "rate limit exceeded")
        }
    }

    /// Queues recovered events for a connection, after what is already queued and before any
    /// live event (the shard sends a connection's direct messages first). Replays may go past the
    /// outbound bound: they are bounded by the history size.
    func replay(_ messages: [OutboundMessage], to client: HubClient) {
        guard !messages.isEmpty, client.state == .connected else { return }
        client.direct.append(contentsOf: messages)
        client.shard.schedule(client)
        client.shard.pumpReady()
    }

    func validate(_ names: [String], id: RequestID?) throws(TaskwireError) -> [StreamName] {
        guard !names.isEmpty else {
            throw TaskwireError(.badMessage, "field 'event_types' must name at least one stream", requestID: id)
        }
        var streams: [StreamName] = []
        streams.reserveCapacity(names.count)
        for name in names {
            do throws(TaskwireError) {
                streams.append(try StreamName(validating: name))
            } catch {
                throw error.withRequestID(id)
            }
        }
        return streams
    }
}

extension TaskwireError {
    /// The same error, answering the request `id` (when it has none yet).
    func withRequestID(_ id: RequestID?) -> TaskwireError {
        var copy = self
        if copy.requestID == nil { copy.requestID = id }
        return copy
    }
}
