import NIOCore
import TaskwireProtocol
import TaskwireTesting
import Testing

/// Over 100,000 generated inputs to `ClientMessage.decode`, from a fixed seed: none may trap or
/// hang; each is a message that re-validates, or a `bad_message` / `unknown_type` error with a message.
@Suite struct ClientMessageFuzzTests {
    static let seed: UInt64 = 0x7461_736B_7769_7265

    /// One valid message of every type and shape, for the generators to break.
    static let templates: [FuzzTemplate] = [
        FuzzTemplate([
            "type": #""subscribe""#, "id": "1", "event_types": #"["task_updated","task:42","chat.room-1"]"#,
            "since": #"{"task_updated":{"seq":41,"epoch":"e1"}}"#,
        ]),
        FuzzTemplate(["type": #""subscribe""#, "id": #""r-1""#, "event_types": "[]", "since": "null"]),
        FuzzTemplate(["type": #""unsubscribe""#, "id": "-3", "event_types": #"["queue:default"]"#]),
        FuzzTemplate(["type": #""custom""#, "id": "9", "event_type": #""chat""#, "data": #"{"text":"hi","n":[1,2.5e3,null,true]}"#]),
        FuzzTemplate(["type": #""custom""#, "event_type": #""bench""#, "data": #""é€😀""#]),
        FuzzTemplate(["type": #""ping""#, "id": #""p""#]),
        FuzzTemplate(["type": #""pong""#]),
    ]

    /// Inputs per family (the truncations of every template at every offset come on top).
    static let plan: [(FuzzFamily, Int)] = [
        (.valid, 6_000), (.randomBytes, 15_000), (.truncated, 8_000), (.mutated, 35_000), (.deepNesting, 6_000),
        (.hugeNumbers, 12_000), (.invalidUTF8, 12_000), (.duplicateKeys, 5_000), (.hugeStrings, 200), (.nulBytes, 5_000),
    ]

    @Test func everyGeneratedInputIsDecodedOrAnsweredWithADocumentedError() async throws {
        var fuzzer = JSONFuzzer(seed: Self.seed, templates: Self.templates)
        var valid = ValidClientMessages(random: SeededGenerator(seed: Self.seed ^ 1))
        var tally = FuzzTally()
        var problems: [String] = []
        let clock = ContinuousClock()
        let start = clock.now

        func run(_ family: FuzzFamily, _ bytes: [UInt8], expect sample: ValidClientMessages.Sample? = nil) async throws {
            let before = clock.now
            let result = decode(bytes)
            var elapsed = clock.now - before
            // A shared machine can stall any one call: only an input that is slow every time counts.
            for attempt in 0..<4 where elapsed > FuzzTally.timeLimit(size: bytes.count) {
                try await Task.sleep(for: FuzzTally.pause(before: attempt))
                elapsed = min(elapsed, clock.measure { _ = decode(bytes) })
            }
            tally.record(family, bytes, accepted: (try? result.get()) != nil, elapsed: elapsed)
            if let problem = Self.problem(bytes, result) ?? sample.flatMap({ Self.mismatch($0, result) }) {
                problems.append("\(family.rawValue): \(problem) for \(Self.shown(bytes))")
            }
        }

        for bytes in fuzzer.allTruncations { try await run(.truncated, bytes) }
        for template in Self.templates {
            let bytes = template.bytes
            try await run(.valid, bytes, expect: nil)
            if case .failure(let error) = decode(bytes) { problems.append("template rejected: \(error)") }
        }
        for (family, count) in Self.plan {
            for index in 0..<count {
                if family == .valid, index.isMultiple(of: 2) {
                    let sample = valid.next()
                    try await run(.valid, sample.bytes, expect: sample)
                } else {
                    try await run(family, fuzzer.input(family))
                }
            }
        }
        let elapsed = clock.now - start

        print("ClientMessage fuzz, seed \(Self.seed): \(elapsed)\n\(tally)")
        #expect(tally.total >= 100_000)
        #expect(elapsed < .seconds(120), "the whole run took \(elapsed)")
        for slow in tally.slow {
            Issue.record("\(slow.family.rawValue) input of \(slow.bytes.count) bytes took \(slow.elapsed) every time: \(Self.shown(slow.bytes))")
        }
        #expect(problems.isEmpty, "\(problems.count) problems, the first: \(problems.prefix(10).joined(separator: "\n"))")
        // Every family produced both answers somewhere, so the oracle saw both sides.
        #expect(tally.accepted[.valid] == tally.inputs[.valid])
        #expect(tally.accepted[.mutated, default: 0] > 0 && tally.accepted[.mutated]! < tally.inputs[.mutated]!)
    }

    // MARK: - Oracle

    static let knownTypes: Set<String> = ["subscribe", "unsubscribe", "custom", "ping", "pong", "refresh"]

    /// What is wrong with the decoder's answer to `bytes`, or nil when it is right.
    static func problem(_ bytes: [UInt8], _ result: Result<ClientMessage, TaskwireError>) -> String? {
        // Parsed again only where the answer depends on what the input is: bad_message fits any input.
        var document: JSONValue? { try? JSONParser.parse(bytes) }
        switch result {
        case .failure(let error):
            guard error.code == .badMessage || error.code == .unknownType else { return "undocumented code \(error.code)" }
            guard !error.message.isEmpty else { return "an error without a message" }
            if let id = error.requestID, !isValidID(id) { return "echoed id \(id) is not an integer or a string" }
            if error.code == .unknownType {
                guard case .object = document, let type = document?[member: "type"]?.stringValue, !knownTypes.contains(type) else {
                    return "unknown_type for a known type or non-JSON"
                }
            }
            return nil
        case .success(let message):
            let document = document
            let type = document?[member: "type"]?.stringValue
            guard case .object = document, let type, knownTypes.contains(type) else { return "accepted something not a known message" }
            if let id = message.requestID, !isValidID(id) { return "id \(id) is not an integer or a string" }
            switch message {
            case .subscribe(_, let streams, let since):
                guard type == "subscribe" else { return "decoded as subscribe from \(type)" }
                return (streams + since.keys).lazy.compactMap(streamProblem).first
            case .unsubscribe(_, let streams):
                guard type == "unsubscribe" else { return "decoded as unsubscribe from \(type)" }
                return streams.lazy.compactMap(streamProblem).first
            case .custom(_, let stream, let data):
                guard type == "custom" else { return "decoded as custom from \(type)" }
                guard (try? parseBuffer(data)) != nil else { return "data is not JSON: \(String(buffer: data))" }
                return streamProblem(stream)
            case .ping:
                return type == "ping" ? nil : "decoded as ping from \(type)"
            case .pong:
                return type == "pong" ? nil : "decoded as pong from \(type)"
            case .refresh(_, let token):
                guard type == "refresh" else { return "decoded as refresh from \(type)" }
                return token.isEmpty ? "refresh with an empty token" : nil
            }
        }
    }

    /// How a decoded valid sample differs from what it must be, or nil.
    static func mismatch(_ sample: ValidClientMessages.Sample, _ result: Result<ClientMessage, TaskwireError>) -> String? {
        guard case .success(let message) = result else { return "valid message rejected" }
        guard message.requestID?.json == (sample.type == "pong" ? nil : sample.id) else { return "id \(String(describing: message.requestID))" }
        switch message {
        case .subscribe(_, let streams, let since) where sample.type == "subscribe":
            return streams == sample.streams && since == sample.since ? nil : "streams or since differ"
        case .unsubscribe(_, let streams) where sample.type == "unsubscribe":
            return streams == sample.streams ? nil : "streams differ"
        case .custom(_, let stream, let data) where sample.type == "custom":
            return [stream] == sample.streams && String(buffer: data) == (sample.data ?? "null") ? nil : "stream or data differ"
        case .ping where sample.type == "ping", .pong where sample.type == "pong":
            return nil
        default:
            return "decoded as \(message), not \(sample.type)"
        }
    }

    /// A stream name either validates or is refused with `invalid_event_type` and a message (as the hub does).
    static func streamProblem(_ name: String) -> String? {
        do {
            let stream = try StreamName(validating: name)
            return stream.rawValue == name ? nil : "stream \(name) validated as \(stream.rawValue)"
        } catch {
            return error.code == .invalidEventType && !error.message.isEmpty ? nil : "stream name refused with \(error)"
        }
    }

    /// An echoed id is an integer that fits 64 bits, or a string.
    static func isValidID(_ id: RequestID) -> Bool {
        guard let value = try? parse(id.json) else { return false }
        return value.int64Value != nil || value.stringValue != nil
    }

    static func shown(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(120), as: UTF8.self)
        return "\(bytes.count) bytes: \(text.debugDescription)" + (bytes.count > 120 ? "…" : "")
    }
}

/// Decodes raw bytes as one text message.
private func decode(_ bytes: [UInt8]) -> Result<ClientMessage, TaskwireError> {
    Result { () throws(TaskwireError) -> ClientMessage in try ClientMessage.decode(ByteBuffer(bytes: bytes)) }
}
