import TaskwireClient

/// Submits many tasks with a bounded number of requests in flight, reporting created tasks in
/// input order and drawing a counter on a terminal.
struct TaskSubmitter {
    /// One task to submit: a label for messages (`line 3`), and the task or why it could not be read.
    struct Input: Sendable {
        var label: String
        var task: Result<NewTask, TaskwireClientError>
    }

    struct Failure {
        var label: String
        var message: String
    }

    struct Outcome {
        var submitted = 0
        var failures: [Failure] = []
    }

    let api: TaskwireHTTPClient
    let concurrency: Int
    let showProgress: Bool

    /// Submits `inputs`; `created` is called for each created task, in input order.
    func submit(_ inputs: [Input], created: (TaskInfo) -> Void) async -> Outcome {
        var outcome = Outcome()
        var results: [Int: Result<TaskInfo, any Error>] = [:]
        var nextToReport = 0
        var done = 0
        await withTaskGroup(of: (Int, Result<TaskInfo, any Error>).self) { group in
            var nextToStart = 0
            func startNext() {
                guard nextToStart < inputs.count else { return }
                let index = nextToStart
                let input = inputs[index]
                nextToStart += 1
                group.addTask { [api] in
                    switch input.task {
                    case .failure(let error): return (index, .failure(error))
                    case .success(let task):
                        do { return (index, .success(try await api.createTask(task))) } catch { return (index, .failure(error)) }
                    }
                }
            }
            for _ in 0..<concurrency { startNext() }
            for await (index, result) in group {
                results[index] = result
                done += 1
                while let ready = results.removeValue(forKey: nextToReport) {
                    switch ready {
                    case .success(let task):
                        outcome.submitted += 1
                        if showProgress { Terminal.clearStatus() }
                        created(task)
                    case .failure(let error):
                        let message = (error as? TaskwireClientError)?.message ?? "\(error)"
                        outcome.failures.append(Failure(label: inputs[nextToReport].label, message: message))
                    }
                    nextToReport += 1
                }
                if showProgress { Terminal.status("submitting: \(done)/\(inputs.count)") }
                startNext()
            }
        }
        if showProgress { Terminal.clearStatus() }
        return outcome
    }
}
