import TaskwireClient
import TaskwireProtocol

/// Turns events into the lines `taskwire watch` prints.
struct EventFormatter: Sendable {
    /// Raw JSON, one message per line, instead of human-readable text.
    var json: Bool

    /// The line for a subscription item.
    func format(_ item: SubscriptionItem) -> String {
        switch item {
        case .event(let event):
            return json ? event.raw.jsonText : human(event)
        case .gap(let stream):
            if json {
                return JSONValue.object(["type": .string("gap"), "event_type": .string(stream)]).jsonText
            }
            return "\(stream)  gap: the server could not replay what was missed; events may be missing here"
        }
    }

    /// A human-readable line: the stream and seq, then what happened.
    func human(_ event: TaskwireEvent) -> String {
        let head = "\(event.stream) #\(event.seq)"
        switch event.message {
        case .taskUpdate(let update):
            var text = "\(head)  task \(update.taskID) \(update.status)"
            if let progress = update.progress { text += " \(Self.percent(progress))" }
            if let message = update.message, !message.isEmpty { text += " \"\(message)\"" }
            return text + "  [queue \(update.queue)]"
        case .queueStatus(let counts):
            return "\(head)  total \(counts.total), pending \(counts.pending), running \(counts.running), "
                + "completed \(counts.completed), failed \(counts.failed), cancelled \(counts.cancelled)"
        case .notification(let note):
            return "\(head)  \(note.level.uppercased()) \(note.title): \(note.message)"
        case .custom(let data):
            return "\(head)  \(data.jsonText)"
        case .other(let type):
            return "\(head)  \(type) \(event.raw.jsonText)"
        }
    }

    /// A line for standard error about the connection, or nil for events not worth a line.
    func describe(_ event: ConnectionEvent) -> String? {
        switch event {
        case .connected(let welcome): "connected (client \(welcome.clientID), \(welcome.server))"
        case .disconnected(let error?): "disconnected: \(error.message)"
        case .waiting(let delay, let attempt): "reconnecting in \(Self.seconds(delay)) (attempt \(attempt))"
        case .resubscribed(_, let recovered) where !recovered.isEmpty:
            "resubscribed: " + recovered.keys.sorted().map { "\($0) \(recovered[$0]! ? "recovered" : "NOT recovered")" }.joined(separator: ", ")
        default: nil
        }
    }

    static func percent(_ value: Double) -> String {
        "\(Int((value * 100).rounded()))%"
    }

    static func seconds(_ duration: Duration) -> String {
        let ms = Int(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
        return ms < 1000 ? "\(ms)ms" : "\(ms / 1000).\(ms % 1000 / 100)s"
    }
}
