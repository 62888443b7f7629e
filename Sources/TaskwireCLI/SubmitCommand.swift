import ArgumentParser
import Foundation
import TaskwireClient
import TaskwireProtocol

/// `taskwire submit`: submits one task from flags or JSON, or many from a JSON-lines file.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit tasks.",
        discussion: """
            One task: taskwire submit resize --payload '{"w":640}', or taskwire submit --json '{"name":"resize"}'.
            Many: taskwire submit --file tasks.jsonl (or --file - for standard input), one JSON object per \
            line with "name" and optionally "queue", "payload", "priority", "max_attempts"; blank lines are \
            skipped. Prints each new task's id on its own line, in input order, and a summary on standard error; \
            exits 1 if any task was not accepted.
            """
    )

    @OptionGroup var client: ClientOptions

    @Argument(help: "The task's name (for a single task from flags).")
    var name: String?

    @Option(help: "The queue (also the default for lines of --file that name none).")
    var queue: String?

    @Option(help: ArgumentHelp("The payload, as JSON.", valueName: "json"))
    var payload: String?

    @Option(help: "Higher runs first.")
    var priority: Int?

    @Option(help: "Attempts before the task fails for good.")
    var maxAttempts: Int?

    @Option(help: ArgumentHelp("The whole task as one JSON object.", valueName: "json"))
    var json: String?

    @Option(help: ArgumentHelp("A JSON-lines file of tasks, - for standard input.", valueName: "path"))
    var file: String?

    @Option(help: "Requests in flight at once when submitting many.")
    var concurrency: Int = 8

    @Flag(help: "Print each created task as JSON instead of its id.")
    var printTasks = false

    func validate() throws {
        let sources = [name != nil, json != nil, file != nil].filter { $0 }.count
        guard sources == 1 else { throw ValidationError("give exactly one of: a task name, --json, --file") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
    }

    func run() async throws {
        let api = try client.api()
        let inputs = try readInputs()
        let submitter = TaskSubmitter(api: api, concurrency: concurrency, showProgress: Terminal.stderrIsTTY && inputs.count > 1)
        let outcome = await submitter.submit(inputs) { task in
            Terminal.out(printTasks ? task.raw.jsonText : task.id)
        }
        for failure in outcome.failures { Terminal.err("\(failure.label): \(failure.message)") }
        Terminal.err("submitted \(outcome.submitted) task\(outcome.submitted == 1 ? "" : "s")" + (outcome.failures.isEmpty ? "" : ", \(outcome.failures.count) failed"))
        if !outcome.failures.isEmpty { throw ExitCode(1) }
    }

    /// The tasks to submit, each with a label for error messages, or the reason it cannot be read.
    private func readInputs() throws -> [TaskSubmitter.Input] {
        if let name {
            var payloadValue: JSONValue?
            if let payload {
                do { payloadValue = try JSONValue(parsing: payload) } catch { throw ValidationError("--payload is not JSON: \(error)") }
            }
            let task = NewTask(name: name, queue: queue, payload: payloadValue, priority: priority, maxAttempts: maxAttempts)
            return [TaskSubmitter.Input(label: "task", task: .success(task))]
        }
        if let json {
            return [TaskSubmitter.Input(label: "--json", task: parse(json))]
        }
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: file!) else { throw ValidationError("cannot read \(file!)") }
            data = contents
        }
        var inputs: [TaskSubmitter.Input] = []
        for (index, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { continue }
            inputs.append(TaskSubmitter.Input(label: "line \(index + 1)", task: parse(text)))
        }
        return inputs
    }

    /// A task from JSON text, with this command's flags as defaults.
    private func parse(_ text: String) -> Result<NewTask, TaskwireClientError> {
        Result { () throws(TaskwireClientError) -> NewTask in
            let value: JSONValue
            do { value = try JSONValue(parsing: text) } catch {
                throw TaskwireClientError(.invalidArgument, "not JSON: \(error)")
            }
            var task = try NewTask(json: value)
            task.queue = task.queue ?? queue
            task.priority = task.priority ?? priority
            task.maxAttempts = task.maxAttempts ?? maxAttempts
            return task
        }
    }
}
