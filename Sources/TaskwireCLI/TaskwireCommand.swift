import ArgumentParser

/// `taskwire`: the Taskwire server and its command-line tools.
@main
struct TaskwireCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taskwire",
        abstract: "A task queue server with real-time WebSocket delivery.",
        subcommands: [
            ServeCommand.self, SubmitCommand.self, WatchCommand.self, WorkerCommand.self, StatusCommand.self,
            TokenCommand.self, BenchCommand.self,
        ]
    )
}
