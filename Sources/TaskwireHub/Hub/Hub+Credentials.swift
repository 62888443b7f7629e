import Logging
import NIOCore
import TaskwireProtocol

extension Hub {
    /// Handles `refresh`: checks the fresh token and, when it is valid and for the same user,
    /// gives the connection its rights and expiry. Subscriptions the new rights no longer allow
    /// are dropped. Answers `ack` (with `expires_at` and `subscriptions`) or `error`.
    func refresh(_ client: HubClient, token: String, id: RequestID?) {
        guard let authenticator else {
            reject(TaskwireError(.unauthorized, "this server takes no credentials", requestID: id), from: client)
            return
        }
        Task {
            let result: Result<Access, TaskwireError>
            do throws(TaskwireError) {
                result = .success(try await authenticator.authenticate(token: token))
            } catch {
                result = .failure(error)
            }
            client.shard.executor.execute {
                guard client.state == .connected else { return }
                switch result {
                case .failure(let error):
                    self.reject(error.withRequestID(id), from: client)
                case .success(let access) where access.userID != client.access.userID:
                    self.reject(TaskwireError(.forbidden, "a refreshed token must be for the same user", requestID: id), from: client)
                case .success(let access):
                    self.grant(access, to: client, id: id)
                }
            }
        }
    }

    private func grant(_ access: Access, to client: HubClient, id: RequestID?) {
        client.access = access
        let dropped = client.subscriptions.keys.filter { name in
            guard let stream = try? StreamName(validating: name) else { return false }
            return !access.canSubscribe(to: stream)
        }
        for name in dropped { client.shard.removeSubscription(client, name: name) }
        logger.debug("credentials refreshed", metadata: ["tw.client.id": "\(client.id)", "tw.dropped": "\(dropped.sorted())"])
        guard let id else { return }
        send(
            ServerMessage.ack(id: id) { b in
                b.writeStaticString(#","expires_at":"#)
                if let expiry = access.expiresAt { b.writeJSONString(expiry.rfc3339) } else { b.writeStaticString("null") }
                b.writeStaticString(#","subscriptions":"#)
                b.writeJSONStringArray(client.subscribedStreams)
            },
            to: client
        )
    }

    /// Closes a connection whose credentials expired with 4001. Call on its executor.
    func closeIfExpired(_ client: HubClient, now: Timestamp) -> Bool {
        guard let expiry = client.access.expiresAt, expiry <= now else { return false }
        metrics.credentialsExpired()
        logger.debug("credentials expired", metadata: ["tw.client.id": "\(client.id)"])
        close(client, code: .credentialsExpired, reason: "credentials expired")
        return true
    }
}
