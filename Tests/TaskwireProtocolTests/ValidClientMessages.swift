import NIOCore
import TaskwireProtocol
import TaskwireTesting

/// Random valid client messages, each with what it must decode to.
struct ValidClientMessages {
    /// A message's text and the decoding it must give.
    struct Sample {
        var bytes: [UInt8]
        var type: String
        /// The `id`'s JSON text as the decoder must echo it, or nil.
        var id: String?
        var streams: [String]
        var since: [String: StreamPosition]
        /// The `data` text, passed on unchanged.
        var data: String?
    }

    /// Any JSON value, some at the edges the parser must still accept.
    static let dataValues: [String] = [
        "null", "true", "0", "-0", "1e999999", String(repeating: "9", count: 400), #""é€😀\u0000\ud83d\ude00""#, "[]", "{}",
        #"{"a":[1,{"b":null}],"a":2}"#, String(HostileJSON.nested(depth: 63, shape: .arrays).map { Character(Unicode.Scalar($0)) }),
    ]
    static let streamCharacters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-")

    var random: SeededGenerator

    mutating func next() -> Sample {
        let type = ["subscribe", "unsubscribe", "custom", "ping", "pong"].randomElement(using: &random)!
        var sample = Sample(bytes: [], type: type, id: nil, streams: [], since: [:], data: nil)
        var members: [(String, String)] = [("type", json(type))]
        switch Int.random(in: 0..<4, using: &random) {
        case 0:
            let value = Int64.random(in: .min ... .max, using: &random)
            members.append(("id", String(value)))
            sample.id = String(value)
        case 1:
            let id = json(randomText())
            members.append(("id", id))
            sample.id = id
        case 2: members.append(("id", "null"))
        default: break
        }
        switch type {
        case "subscribe", "unsubscribe":
            sample.streams = (0..<Int.random(in: 0...5, using: &random)).map { _ in streamName() }
            members.append(("event_types", "[" + sample.streams.map(json).joined(separator: ",") + "]"))
            if type == "subscribe", Bool.random(using: &random) {
                for stream in sample.streams {
                    sample.since[stream] = StreamPosition(seq: UInt64.random(in: 0 ... .max, using: &random), epoch: randomText())
                }
                let positions = sample.since.map { #"\#(json($0.key)):{"seq":\#($0.value.seq),"epoch":\#(json($0.value.epoch))}"# }
                members.append(("since", "{" + positions.joined(separator: ",") + "}"))
            }
        case "custom":
            let stream = streamName()
            sample.streams = [stream]
            members.append(("event_type", json(stream)))
            if Int.random(in: 0..<8, using: &random) > 0 {
                let data = Self.dataValues.randomElement(using: &random)!
                members.append(("data", data))
                sample.data = data
            }
        default: break
        }
        members.shuffle(using: &random)
        // White space the grammar allows, sometimes.
        let gap = Bool.random(using: &random) ? "" : [" ", "\n", "\t", "\r\n "].randomElement(using: &random)!
        let text = gap + "{" + members.map { json($0.0) + gap + ":" + gap + $0.1 }.joined(separator: "," + gap) + "}" + gap
        sample.bytes = Array(text.utf8)
        return sample
    }

    private mutating func streamName() -> String {
        let length = Bool.random(using: &random) ? Int.random(in: 1...16, using: &random) : Int.random(in: 1...128, using: &random)
        return String((0..<length).map { _ in Self.streamCharacters.randomElement(using: &random)! })
    }

    private mutating func randomText() -> String {
        let pieces = ["a", "Z", "9", " ", "é", "€", "😀", "\"", "\\", "\n", "\u{0}", "\u{1F}", "/", "\u{FEFF}"]
        return (0..<Int.random(in: 0...12, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
    }

    private func json(_ s: String) -> String {
        var buffer = ByteBuffer()
        buffer.writeJSONString(s)
        return String(buffer: buffer)
    }
}
