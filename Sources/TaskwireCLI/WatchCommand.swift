import ArgumentParser
import TaskwireClient
import TaskwireProtocol

/// `taskwire watch`: prints live events, reconnecting and recovering missed events by itself.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print live events.",
        discussion: """
            Subscribes to the streams given with --stream (repeatable; default: the task streams, \
            queue_status_changed and system_notification) and prints one line per event on standard output: \
            human-readable, or the message as the server sent it with --json. Connection changes go to \
            standard error. After a disconnection it reconnects and replays what it missed; where the server \
            can no longer replay, a "gap" line says so.
            """
    )

    static let defaultStreams = ["task_created", "task_updated", "task_completed", "task_failed", "queue_status_changed", "system_notification"]

    @OptionGroup var client: ClientOptions

    @Option(name: .customLong("stream"), help: ArgumentHelp("A stream to watch (task:<id>, queue:<name>, a custom name, …).", valueName: "name"))
    var streams: [String] = []

    @Flag(help: "Print each event as JSON, one per line.")
    var json = false

    @Option(help: "Exit after this many events.")
    var count: Int?

    func validate() throws {
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    func run() async throws {
        let streams = self.streams.isEmpty ? Self.defaultStreams : self.streams
        let formatter = EventFormatter(json: json)
        let limit = count
        try await TaskwireClient.withClient(configuration: try client.clientConfiguration()) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                let events = client.connectionEvents()
                group.addTask {
                    for await event in events {
                        if let line = formatter.describe(event) { Terminal.err(line) }
                    }
                }
                defer { group.cancelAll() }
                let subscription = try await Self.subscribe(client, to: streams)
                var printed = 0
                for try await item in subscription {
                    Terminal.out(formatter.format(item))
                    if case .event = item { printed += 1 }
                    if let limit, printed >= limit { break }
                }
                subscription.cancel()
            }
        }
    }

    /// Subscribes, waiting for the server as long as it takes (it may not be up yet).
    private static func subscribe(_ client: TaskwireClient, to streams: [String]) async throws -> Subscription {
        while true {
            do {
                return try await client.subscribe(to: streams)
            } catch let error as TaskwireClientError where error.code == .timeout || error.code == .connectionLost {
                continue
            }
        }
    }
}
