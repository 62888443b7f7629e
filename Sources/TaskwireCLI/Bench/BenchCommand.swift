import ArgumentParser

/// `taskwire bench`: in-process benchmarks of Taskwire's hot paths.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run in-process benchmarks.",
        subcommands: [FanoutBenchCommand.self, LifecycleBenchCommand.self]
    )
}
