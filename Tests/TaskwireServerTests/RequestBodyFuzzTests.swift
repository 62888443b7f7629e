import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import TaskwireHTTP
import TaskwireHub
import TaskwireProtocol
import TaskwireQueue
import TaskwireTesting
import Testing

/// Over 100,000 generated request bodies for every route that reads a JSON body, from a fixed
/// seed: none may trap, hang or get a 500; each is accepted or refused with the route's
/// documented status, code and message.
///
/// One body in twenty, and every body over the size limit, goes through the API's router (about
/// 0.6 ms each in a debug build); the rest go through the same body decoders and task service
/// directly, as the controllers call them.
@Suite struct RequestBodyFuzzTests {
    static let seed: UInt64 = 0x6874_7470_626F_6479
    /// Limits large enough that the parser, not the body limit, meets deep nesting and long strings.
    static let maxBodySize = 64 * 1024
    static let maxPayloadSize = 16 * 1024
    /// One body in this many goes through the router.
    static let routerShare = 20

    /// Inputs per family, spread over the routes in turn (every truncation of every template comes on top).
    static let plan: [(FuzzFamily, Int)] = [
        (.valid, 4_000), (.randomBytes, 12_000), (.truncated, 8_000), (.mutated, 40_000), (.deepNesting, 6_000),
        (.hugeNumbers, 12_000), (.invalidUTF8, 10_000), (.duplicateKeys, 4_000), (.hugeStrings, 400), (.nulBytes, 4_000),
    ]

    @Test func everyGeneratedBodyIsAcceptedOrRefusedAsDocumented() async throws {
        let fixture = TaskAPIFixture(maxBodySize: Self.maxBodySize, maxPayloadSize: Self.maxPayloadSize)
        try await fixture.test { client in
            var runner = Runner(client: client, fixture: fixture)
            let clock = ContinuousClock()
            let start = clock.now
            var fuzzers = FuzzedEndpoint.all.enumerated().map { JSONFuzzer(seed: Self.seed &+ UInt64($0.offset), templates: $0.element.templates) }
            for (endpoint, fuzzer) in zip(FuzzedEndpoint.all, fuzzers) {
                for bytes in fuzzer.allTruncations { try await runner.run(endpoint, .truncated, bytes) }
            }
            for (family, count) in Self.plan {
                for index in 0..<count {
                    let route = index % fuzzers.count
                    try await runner.run(FuzzedEndpoint.all[route], family, fuzzers[route].input(family))
                }
            }
            let elapsed = clock.now - start

            print("Request body fuzz, seed \(Self.seed): \(elapsed), \(runner.routed) through the router\n\(runner.tally)")
            #expect(runner.tally.total >= 100_000)
            #expect(runner.routed >= 5_000)
            #expect(elapsed < .seconds(180), "the whole run took \(elapsed)")
            for slow in runner.tally.slow {
                Issue.record("\(slow.family.rawValue) body of \(slow.bytes.count) bytes took \(slow.elapsed) every time")
            }
            let problems = runner.problems
            #expect(problems.isEmpty, "\(problems.count) problems, the first: \(problems.prefix(10).joined(separator: "\n"))")
            #expect(runner.tally.accepted[.valid] == runner.tally.inputs[.valid])
        }
    }

    /// How a body was answered: the status, and for a refusal the error's code and message.
    struct Answer {
        var status: HTTPResponse.Status
        var code: String?
        var message: String?
    }

    /// Sends bodies, keeps a running task for the worker routes, and judges every answer.
    struct Runner {
        let client: any TestClientProtocol
        let fixture: TaskAPIFixture
        var tally = FuzzTally()
        var problems: [String] = []
        var inputs = 0
        var routed = 0
        /// A task running for worker `w1`, nil once an accepted body finished it.
        var taskID: String?

        init(client: any TestClientProtocol, fixture: TaskAPIFixture) {
            self.client = client
            self.fixture = fixture
        }

        mutating func run(_ endpoint: FuzzedEndpoint, _ family: FuzzFamily, _ bytes: [UInt8]) async throws {
            let id = endpoint.needsTask ? try await runningTask() : ""
            inputs += 1
            let viaRouter = inputs.isMultiple(of: routerShare) || bytes.count > maxBodySize
            if viaRouter { routed += 1 }
            let (answer, firstTry) = try await answer(endpoint, bytes, taskID: id, viaRouter: viaRouter)
            var elapsed = firstTry
            // A shared machine can stall any one request: only a body that is slow every time counts.
            for attempt in 0..<4 where elapsed > FuzzTally.timeLimit(size: bytes.count) {
                try await Task.sleep(for: FuzzTally.pause(before: attempt))
                elapsed = min(elapsed, try await self.answer(endpoint, bytes, taskID: id, viaRouter: viaRouter).elapsed)
            }
            let wasAccepted = endpoint.accepted.contains(answer.status)
            tally.record(family, bytes, accepted: wasAccepted, elapsed: elapsed)
            if wasAccepted, endpoint.finishesTask { taskID = nil }
            if let problem = Self.problem(endpoint, bytes, answer) {
                let path = viaRouter ? "router" : "direct"
                problems.append("\(endpoint.route), \(family.rawValue), \(path): \(problem) for \(bytes.count) bytes \(Self.shown(bytes))")
            }
        }

        private func answer(
            _ endpoint: FuzzedEndpoint,
            _ bytes: [UInt8],
            taskID: String,
            viaRouter: Bool
        ) async throws -> (answer: Answer, elapsed: Duration) {
            let clock = ContinuousClock()
            let before = clock.now
            let answer =
                viaRouter
                ? try await Self.answer(client.execute(uri: endpoint.path.replacing("{id}", with: taskID), method: .post, body: ByteBuffer(bytes: bytes)))
                : await directAnswer(endpoint, bytes, taskID: taskID)
            return (answer, clock.now - before)
        }

        /// Decodes `bytes` with the route's body decoder and applies it through the task service, as its controller does.
        private func directAnswer(_ endpoint: FuzzedEndpoint, _ bytes: [UInt8], taskID id: String) async -> Answer {
            let service = fixture.service
            do {
                let body = try JSONRequestBody(parsing: ByteBuffer(bytes: bytes))
                switch endpoint.route {
                case .create:
                    _ = try await service.create(try TasksController.newTask(body, configuration: service.configuration))
                    return Answer(status: .created)
                case .claim:
                    let (workerID, lease) = try WorkerController.lease(body)
                    let task = try await service.claim(queue: "default", workerID: workerID, leaseSeconds: lease)
                    return Answer(status: task == nil ? .noContent : .ok)
                case .progress:
                    let (workerID, progress, message) = try WorkerController.progress(body)
                    _ = try await service.progress(id: id, workerID: workerID, progress: progress, message: message)
                case .heartbeat:
                    let (workerID, lease) = try WorkerController.lease(body)
                    _ = try await service.heartbeat(id: id, workerID: workerID, leaseSeconds: lease)
                case .complete:
                    let (workerID, result) = try WorkerController.completion(body, maxPayloadSize: service.configuration.maxPayloadSize)
                    _ = try await service.complete(id: id, workerID: workerID, result: result)
                case .fail:
                    let (workerID, error, retry) = try WorkerController.failure(body)
                    _ = try await service.fail(id: id, workerID: workerID, error: error, retry: retry)
                case .notifications:
                    let (level, title, message, userID) = try NotificationsController.notification(body)
                    try service.notify(level: level, title: title, message: message, userID: userID)
                    return Answer(status: .accepted)
                case .publish:
                    let (stream, data) = try PublishController.publication(body)
                    _ = await fixture.hub.publishAndCount(ServerMessage.customBody(data: data), to: stream)
                }
                return Answer(status: .ok)
            } catch let error as HTTPAPIError {
                return Answer(status: error.status, code: error.code.rawValue, message: error.message)
            } catch let error as any HTTPAPIErrorConvertible {
                return Answer(status: error.status, code: error.httpError.code.rawValue, message: error.httpError.message)
            } catch {
                return Answer(status: .internalServerError, code: nil, message: "\(error)")
            }
        }

        /// Creates and claims a task in a queue of its own (through the service: it is setup, not fuzzing) when none is running.
        private mutating func runningTask() async throws -> String {
            if let taskID { return taskID }
            let service = fixture.service
            _ = try await service.create(NewTask(queue: "fuzz-work", name: "work", maxAttempts: 100))
            let id = try #require(try await service.claim(queue: "fuzz-work", workerID: "w1", leaseSeconds: 3600)).id
            taskID = id
            return id
        }

        /// The answer a router response gives, its error body checked for the API's exact shape.
        static func answer(_ response: TestResponse) -> Answer {
            guard response.status.kind != .successful else { return Answer(status: response.status) }
            guard response.headers[.contentType]?.hasPrefix("application/json") == true,
                case .object(let top) = response.json, top.count == 1, case .object(let error)? = top["error"], error.count == 2
            else { return Answer(status: response.status, code: nil, message: "not the error body: \(String(buffer: response.body))") }
            return Answer(status: response.status, code: error["code"]?.stringValue, message: error["message"]?.stringValue)
        }

        /// What is wrong with the answer to `body`, or nil when it is one the route documents.
        static func problem(_ endpoint: FuzzedEndpoint, _ body: [UInt8], _ answer: Answer) -> String? {
            let status = answer.status
            // Parsed again only where the answer depends on it: a 400 fits any body.
            var isObject: Bool {
                if status != .badRequest, case .object? = try? JSONParser.parse(body) { return true }
                return false
            }
            if endpoint.accepted.contains(status) {
                return body.count <= maxBodySize && isObject ? nil : "accepted with \(status)"
            }
            guard status == .badRequest || status == .contentTooLarge || endpoint.refusals.contains(status),
                let code = FuzzedEndpoint.codes[status]
            else { return "undocumented status \(status): \(answer.message ?? "")" }
            if body.count > maxBodySize, status != .contentTooLarge { return "\(status) for a body over the limit" }
            if body.count <= maxBodySize, !isObject, status != .badRequest { return "\(status) for a body that is not a JSON object" }
            guard answer.code == code, let message = answer.message, !message.isEmpty else {
                return "\(status) with code \(answer.code ?? "none") and message \(answer.message ?? "none"), not \(code)"
            }
            return nil
        }

        static func shown(_ bytes: [UInt8]) -> String {
            String(decoding: bytes.prefix(120), as: UTF8.self).debugDescription + (bytes.count > 120 ? "…" : "")
        }
    }
}
