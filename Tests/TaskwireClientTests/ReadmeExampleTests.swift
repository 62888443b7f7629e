import TaskwireClient
import TaskwireProtocol
import Testing

/// The example of README.md's "Swift client" section, run as written against a live server.
@Suite(.timeLimit(.minutes(1)))
struct ReadmeExampleTests {
    @Test func theReadmeExampleRuns() async throws {
        let live = try await LiveServer()
        try await live.start()
        let worker = Task {
            let api = TaskwireHTTPClient(server: try live.address)
            // A request that fails on a loaded machine (a timeout) is tried again: a worker that
            // gave up would leave the example below waiting for a completion forever.
            var claimed: String?
            while true {
                do {
                    if let id = claimed {
                        // A completion whose answer was lost went through: it is not tried again.
                        if let task = try? await api.task(id: id), task.status == "completed" { return task }
                        return try await api.complete(taskID: id, workerID: "readme", result: .null)
                    }
                    claimed = try await api.claim(queue: "default", workerID: "readme")?.id
                    if claimed != nil { continue }
                } catch {
                    print("readme worker: \(error); trying again")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
        }

        // From README.md:
        let server = try live.address
        let api = TaskwireHTTPClient(server: server)
        try await TaskwireClient.withClient(configuration: TaskwireClientConfiguration(server: server)) { client in
            // A scoped subscription: unsubscribed on the server when the closure returns.
            try await client.withSubscription(to: ["task_completed", "task_failed"]) { subscription in
                let task = try await api.createTask(NewTask(name: "resize", payload: .object(["w": .number("640")])))
                for try await item in subscription {
                    switch item {
                    case .event(let event):
                        guard case .taskUpdate(let update) = event.message else { continue }
                        print(event.stream, event.seq, update.taskID, update.status)
                        if update.taskID == task.id { return }
                    case .gap(let stream):
                        print("missed events on \(stream): reload from GET /api/v1/tasks")
                    }
                }
            }
            try await client.publish(.object(["hello": .string("world")]), to: "news")  // waits for the ack
        }

        let completed = try await worker.value
        #expect(completed.status == "completed")
        try await live.stop()
    }
}
