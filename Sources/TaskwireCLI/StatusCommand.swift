import ArgumentParser
import TaskwireClient
import TaskwireProtocol

/// `taskwire status`: task counts per queue and the server's connections.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show task counts per queue and the connections.",
        discussion: """
            Prints a table of task counts by status for each queue and for all queues together, then the \
            WebSocket connections. With --json: {"queue_status": …, "connections": […]}, as the HTTP API \
            answers them.
            """
    )

    @OptionGroup var client: ClientOptions

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() async throws {
        let api = try client.api()
        async let status = api.queueStatus()
        async let connections = api.connections()
        let (queues, conns) = try await (status, connections)
        if json {
            Terminal.out(JSONValue.object(["queue_status": queues.raw, "connections": .array(conns.map(\.raw))]).jsonText)
            return
        }
        for line in Self.table(queues) { Terminal.out(line) }
        Terminal.out("")
        Terminal.out("connections: \(conns.count)")
        for connection in conns.sorted(by: { $0.connectedAt < $1.connectedAt }) {
            let subscriptions = connection.subscriptions.isEmpty ? "-" : connection.subscriptions.joined(separator: ",")
            Terminal.out("  \(connection.clientID)  \(connection.state)  since \(connection.connectedAt)  user \(connection.userID ?? "-")  \(subscriptions)")
        }
    }

    /// The counts as aligned rows: a header, one row per queue by name, then the total.
    static func table(_ status: QueueStatus) -> [String] {
        let header = ["QUEUE", "TOTAL", "PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"]
        func row(_ name: String, _ c: QueueCounts) -> [String] {
            [name] + [c.total, c.pending, c.running, c.completed, c.failed, c.cancelled].map(String.init)
        }
        let rows = [header] + status.queues.keys.sorted().map { row($0, status.queues[$0]!) } + [row("(all)", status.overall)]
        let widths = (0..<header.count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { cells in
            cells.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }
    }
}
