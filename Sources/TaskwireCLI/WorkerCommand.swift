import ArgumentParser
import Foundation
import Synchronization
import TaskwireClient

/// `taskwire worker --queue Q -- COMMAND ARGS…`: claims tasks and runs a command for each.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Claim tasks from a queue and run a command for each.",
        discussion: """
            For each claimed task the command runs with the task's payload (JSON, one line) on standard \
            input and TASKWIRE_TASK_ID, TASKWIRE_TASK_NAME, TASKWIRE_QUEUE, TASKWIRE_ATTEMPT and \
            TASKWIRE_WORKER_ID in its environment. A line "PROGRESS 0.4 some message" on its standard output \
            (a fraction from 0 to 1, or 40%) is reported as progress; other output lines are passed through. \
            The lease is renewed while the command runs.

            Exit status 0 completes the task. Its result is the last non-empty output line if that line is \
            JSON, else the whole output as a JSON string (null when there was none). Any other status fails \
            the task, with the status and the tail of standard error as its error; it is retried while \
            attempts remain (unless --no-retry).

            SIGTERM or SIGINT: no new task is claimed; running commands may finish within --grace-period, \
            after which they are stopped (SIGTERM) and their tasks released for another worker (failed with \
            retry). A second signal releases them at once. Then the worker exits.
            """
    )

    @OptionGroup var client: ClientOptions

    @Option(help: "The queue to work on.")
    var queue: String

    @Option(help: "Tasks to run at once.")
    var concurrency: Int = 1

    @Option(help: ArgumentHelp("Lease length, renewed every third of it while a command runs.", valueName: "seconds"))
    var lease: Int = 30

    @Option(help: ArgumentHelp("Wait between claims while the queue is empty.", valueName: "seconds"))
    var pollInterval: Double = 1

    @Option(help: ArgumentHelp("How long running commands may go on after SIGTERM.", valueName: "seconds"))
    var gracePeriod: Double = 30

    @Option(help: "This worker's id. Default: taskwire-<host>-<pid>.")
    var workerID: String?

    @Option(help: "Exit after this many tasks.")
    var maxTasks: Int?

    @Flag(help: "Fail tasks for good on a non-zero exit instead of retrying them.")
    var noRetry = false

    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.")
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("give the command to run after --: taskwire worker --queue q -- ./job.sh") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard (1...3600).contains(lease) else { throw ValidationError("--lease must be 1…3600 seconds") }
        guard pollInterval > 0, gracePeriod >= 0 else { throw ValidationError("--poll-interval must be positive, --grace-period not negative") }
        if let maxTasks, maxTasks < 1 { throw ValidationError("--max-tasks must be at least 1") }
    }

    func run() async throws {
        // A command that closes its input before reading the payload must not kill the worker.
        signal(SIGPIPE, SIG_IGN)
        let shutdown = ShutdownSignal()
        let worker = TaskWorker(
            api: try client.api(),
            queue: queue,
            workerID: workerID ?? "taskwire-\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)",
            command: command,
            lease: lease,
            retry: !noRetry,
            shutdown: shutdown
        )
        Terminal.err("worker \(worker.workerID): queue \(queue), concurrency \(concurrency)")
        let claimed = ClaimCount()
        let maxTasks = self.maxTasks
        let poll = Duration.milliseconds(Int64(pollInterval * 1000))
        let grace = Duration.milliseconds(Int64(gracePeriod * 1000))
        let wakeups = QueueWakeups()
        let configuration = try client.clientConfiguration()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await shutdown.handleSignals() }
            group.addTask { [queue] in await wakeups.watch(queue: queue, configuration: configuration) }
            group.addTask {
                // After the first signal, running commands get the grace period, then are released.
                await shutdown.wait(for: .draining)
                guard await shutdown.sleep(grace, unless: .releasing) else { return }
                shutdown.set(.releasing)
            }
            await withTaskGroup(of: Void.self) { loops in
                for _ in 0..<concurrency {
                    loops.addTask {
                        while shutdown.level == .running {
                            if let maxTasks, claimed.value >= maxTasks { break }
                            let generation = wakeups.generation
                            guard let task = await worker.claim() else {
                                await shutdown.idle(poll, wakeups: wakeups, after: generation)
                                continue
                            }
                            let count = claimed.increment()
                            await worker.run(task)
                            if let maxTasks, count >= maxTasks { break }
                        }
                    }
                }
            }
            // Every loop is done: end the grace period's wait and the signal handling.
            shutdown.set(.releasing)
            group.cancelAll()
        }
        Terminal.err("worker \(worker.workerID): stopped after \(claimed.value) task(s)")
    }
}

extension ShutdownSignal {
    /// Waits while the queue is empty: `poll`, or less when a task becomes pending or shutdown is asked for.
    fileprivate func idle(_ poll: Duration, wakeups: QueueWakeups, after generation: UInt64) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { _ = await self.sleep(poll, unless: .draining) }
            group.addTask { await wakeups.wait(after: generation) }
            await group.next()
            group.cancelAll()
        }
    }
}

/// How many tasks the worker's loops have claimed together.
private final class ClaimCount: Sendable {
    private let count = Atomic<Int>(0)

    var value: Int { count.load(ordering: .relaxed) }

    /// Counts one more claim. - Returns: the new count.
    func increment() -> Int { count.add(1, ordering: .relaxed).newValue }
}

