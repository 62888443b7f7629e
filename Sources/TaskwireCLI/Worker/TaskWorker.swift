import Foundation
import TaskwireClient
import TaskwireProtocol

/// Claims tasks and runs the command for each: progress, lease renewal, completion or failure.
struct TaskWorker: Sendable {
    let api: TaskwireHTTPClient
    let queue: String
    let workerID: String
    let command: [String]
    let lease: Int
    let retry: Bool
    let shutdown: ShutdownSignal

    /// Claims the next task; nil when none is pending or the server cannot be reached (logged).
    func claim() async -> TaskInfo? {
        do {
            return try await api.claim(queue: queue, workerID: workerID, leaseSeconds: lease)
        } catch {
            Terminal.err("worker: claim failed: \(message(error))")
            return nil
        }
    }

    /// What the concurrent parts of a run hand back.
    private enum Piece: Sendable {
        case output(TaskOutput)
        case errorTail(String)
        case progressReported
        case pipesTimedOut
        case none
    }

    /// Runs the command for `task` and reports the outcome.
    func run(_ task: TaskInfo) async {
        Terminal.err("worker: task \(task.id) (\(task.name)) claimed, attempt \(task.attempts)/\(task.maxAttempts)")
        let process: TaskProcess
        do {
            process = try TaskProcess(command: command, environment: environment(for: task), input: Data((task.payload.jsonText + "\n").utf8))
        } catch {
            await fail(task, error: "cannot start \(command[0]): \(error)", retry: retry)
            return
        }
        let (progress, progressContinuation) = AsyncStream<(Double, String?)>.makeStream()
        let (exit, output) = await withTaskGroup(of: Piece.self) { group in
            group.addTask { await renewLease(task) }
            group.addTask {
                // Released by a signal: stop the command; its exit ends the run.
                await shutdown.wait(for: .releasing)
                process.terminate()
                return .none
            }
            group.addTask {
                for await (fraction, text) in progress {
                    do {
                        try await api.reportProgress(taskID: task.id, workerID: workerID, progress: fraction, message: text)
                    } catch {
                        Terminal.err("worker: task \(task.id): progress not reported: \(message(error))")
                    }
                }
                return .progressReported
            }
            group.addTask {
                var output = TaskOutput()
                for await line in process.stderr {
                    Terminal.err(line)
                    output.append(error: line)
                }
                return .errorTail(output.errorTail)
            }
            group.addTask {
                var output = TaskOutput()
                for await line in process.stdout {
                    if let (fraction, text) = TaskOutput.progress(in: line) {
                        progressContinuation.yield((fraction, text))
                    } else {
                        Terminal.out(line)
                        output.append(output: line)
                    }
                }
                progressContinuation.finish()
                return .output(output)
            }
            let exit = await process.waitForExit()
            // The pipes end right after the exit, unless the command left children holding them open.
            group.addTask {
                try? await Task.sleep(for: .seconds(2))
                return .pipesTimedOut
            }
            var output = TaskOutput()
            var waitingFor = 3
            while waitingFor > 0, let piece = await group.next() {
                switch piece {
                case .output(let lines):
                    output.append(contentsOf: lines)
                    waitingFor -= 1
                case .errorTail(let tail):
                    output.append(error: tail)
                    waitingFor -= 1
                case .progressReported:
                    waitingFor -= 1
                case .pipesTimedOut:
                    waitingFor = 0
                case .none:
                    break
                }
            }
            progressContinuation.finish()
            group.cancelAll()
            return (exit, output)
        }
        if shutdown.level == .releasing && !exit.succeeded {
            await fail(task, error: "released: the worker was stopped (\(exit.description))", retry: true)
        } else if exit.succeeded {
            do {
                try await api.complete(taskID: task.id, workerID: workerID, result: output.result)
                Terminal.err("worker: task \(task.id) completed")
            } catch {
                Terminal.err("worker: task \(task.id): completion not reported: \(message(error))")
            }
        } else {
            await fail(task, error: output.error(status: exit.description), retry: retry)
        }
    }

    private func environment(for task: TaskInfo) -> [String: String] {
        [
            "TASKWIRE_TASK_ID": task.id,
            "TASKWIRE_TASK_NAME": task.name,
            "TASKWIRE_QUEUE": task.queue,
            "TASKWIRE_ATTEMPT": String(task.attempts),
            "TASKWIRE_WORKER_ID": workerID,
        ]
    }

    /// Renews the lease every third of its length until cancelled.
    private func renewLease(_ task: TaskInfo) async -> Piece {
        let every = Duration.milliseconds(Int64(lease) * 1000 / 3)
        while (try? await Task.sleep(for: every)) != nil {
            do {
                try await api.heartbeat(taskID: task.id, workerID: workerID, leaseSeconds: lease)
            } catch {
                Terminal.err("worker: task \(task.id): lease not renewed: \(message(error))")
            }
        }
        return .none
    }

    private func fail(_ task: TaskInfo, error: String, retry: Bool) async {
        do {
            let failed = try await api.fail(taskID: task.id, workerID: workerID, error: error, retry: retry)
            Terminal.err("worker: task \(task.id) failed (\(failed.status)): \(error)")
        } catch {
            Terminal.err("worker: task \(task.id): failure not reported: \(message(error))")
        }
    }

    private func message(_ error: any Error) -> String {
        (error as? TaskwireClientError)?.description ?? "\(error)"
    }
}
