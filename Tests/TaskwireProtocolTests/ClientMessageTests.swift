import NIOCore
import Testing
import TaskwireProtocol

@Suite struct ClientMessageTests {
    // MARK: Every type

    @Test func decodesSubscribe() throws {
        let message = try decode(#"{"type":"subscribe","id":1,"event_types":["task_updated","task:42"]}"#).get()
        guard case .subscribe(let id, let streams, let since) = message else {
            Issue.record("decoded as \(message)")
            return
        }
        #expect(id == RequestID(1))
        #expect(streams == ["task_updated", "task:42"])
        #expect(since.isEmpty)
        #expect(message.requestID == RequestID(1))
    }

    @Test func decodesSubscribeWithSince() throws {
        let text = #"{"type":"subscribe","id":"r1","event_types":["a","b"],"since":{"a":{"seq":41,"epoch":"e1"},"b":{"epoch":"e2","seq":0}}}"#
        guard case .subscribe(let id, let streams, let since) = try decode(text).get() else {
            Issue.record("not a subscribe")
            return
        }
        #expect(id?.json == #""r1""#)
        #expect(streams == ["a", "b"])
        #expect(since == ["a": StreamPosition(seq: 41, epoch: "e1"), "b": StreamPosition(seq: 0, epoch: "e2")])
    }

    @Test func decodesSubscribeWithNullSinceAndNoID() throws {
        guard case .subscribe(let id, let streams, let since) = try decode(#"{"type":"subscribe","event_types":[],"since":null}"#).get() else {
            Issue.record("not a subscribe")
            return
        }
        #expect(id == nil)
        #expect(streams.isEmpty)
        #expect(since.isEmpty)
    }

    @Test func decodesUnsubscribe() throws {
        guard case .unsubscribe(let id, let streams) = try decode(#"{"event_types":["x"],"type":"unsubscribe","id":-3}"#).get() else {
            Issue.record("not an unsubscribe")
            return
        }
        #expect(id == RequestID(-3))
        #expect(streams == ["x"])
    }

    @Test func decodesCustom() throws {
        guard case .custom(let id, let stream, let data) = try decode(#"{"type":"custom","id":9,"event_type":"chat.room-1","data":{"text":"hi"}}"#).get() else {
            Issue.record("not a custom")
            return
        }
        #expect(id == RequestID(9))
        #expect(stream == "chat.room-1")
        #expect(String(buffer: data) == #"{"text":"hi"}"#)
    }

    @Test func decodesPingWithAndWithoutID() throws {
        guard case .ping(let id) = try decode(#"{"type":"ping","id":"p"}"#).get() else {
            Issue.record("not a ping")
            return
        }
        #expect(id?.json == #""p""#)
        guard case .ping(nil) = try decode(#"{"type":"ping"}"#).get() else {
            Issue.record("not a ping without id")
            return
        }
    }

    @Test func decodesPong() throws {
        let message = try decode(#"{"type":"pong","id":4}"#).get()
        guard case .pong = message else {
            Issue.record("not a pong")
            return
        }
        #expect(message.requestID == nil)
    }

    @Test func ignoresUnknownFieldsAndSurroundingWhitespace() throws {
        guard case .ping(let id) = try decode(" \n{\"extra\":[1,{\"x\":null}],\"type\":\"ping\",\"id\":2,\"more\":true}\n ").get() else {
            Issue.record("not a ping")
            return
        }
        #expect(id == RequestID(2))
    }

    // MARK: Custom data passed through unchanged

    @Test(arguments: [
        "null", "1800000000000000000123", "-0.000001e-99", #""\u00e9\ud83d\ude00\n""#, #"{"a" : [1, 2.50,  {}] }"#,
        "[ ]", "true", #""""#, #"{"nested":{"deeper":[[1800000000000000000123]]}}"#,
    ])
    func passesCustomDataThroughByteForByte(_ data: String) throws {
        let text = #"{"type":"custom","event_type":"bench","data":"# + data + "}"
        guard case .custom(_, _, let buffer) = try decode(text).get() else {
            Issue.record("not a custom")
            return
        }
        #expect(String(buffer: buffer) == data)
    }

    @Test func customDataIsTakenFromTheRightPlaceWhateverTheFieldOrder() throws {
        let text = #"{ "data" :[1,"}"] ,"event_type":"e","type":"custom"}"#
        guard case .custom(_, let stream, let data) = try decode(text).get() else {
            Issue.record("not a custom")
            return
        }
        #expect(stream == "e")
        #expect(String(buffer: data) == #"[1,"}"]"#)
    }

    @Test func customDataIsCorrectInABufferThatDoesNotStartAtZero() throws {
        var buffer = ByteBuffer(string: "JUNK" + #"{"type":"custom","event_type":"e","data":{"k":12345678901234567890}}"#)
        buffer.moveReaderIndex(forwardBy: 4)
        guard case .custom(_, _, let data) = try ClientMessage.decode(buffer) else {
            Issue.record("not a custom")
            return
        }
        #expect(String(buffer: data) == #"{"k":12345678901234567890}"#)
    }

    @Test func missingCustomDataIsNull() throws {
        guard case .custom(_, _, let data) = try decode(#"{"type":"custom","event_type":"e"}"#).get() else {
            Issue.record("not a custom")
            return
        }
        #expect(String(buffer: data) == "null")
    }

    // MARK: Request ids

    @Test func readsIntegerAndStringIDs() throws {
        #expect(try decode(#"{"type":"ping","id":0}"#).get().requestID?.json == "0")
        #expect(try decode(#"{"type":"ping","id":-9223372036854775808}"#).get().requestID?.json == "-9223372036854775808")
        #expect(try decode(#"{"type":"ping","id":"a\"b"}"#).get().requestID?.json == #""a\"b""#)
        #expect(try decode(#"{"type":"ping","id":"\u0041"}"#).get().requestID?.json == #""A""#)
        #expect(try decode(#"{"type":"ping","id":null}"#).get().requestID == nil)
    }

    @Test(arguments: ["1.5", "1e3", "true", "[1]", #"{"n":1}"#, "9223372036854775808", "-0.0"])
    func rejectsIDsThatAreNeitherIntegerNorString(_ id: String) throws {
        let error = try #require(decodeError(#"{"type":"ping","id":"# + id + "}"))
        #expect(error.code == .badMessage)
        #expect(error.requestID == nil)
        #expect(error.message.contains("'id'"))
    }

    // MARK: bad_message

    @Test(arguments: ["", "   ", "not json", "{", #"{"type":"ping""#, #"{"type":"ping"} trailing"#, "{'type':'ping'}"])
    func rejectsTextThatIsNotJSON(_ text: String) throws {
        let error = try #require(decodeError(text))
        #expect(error.code == .badMessage)
        #expect(error.requestID == nil)
    }

    @Test(arguments: ["[]", #"["type","ping"]"#, "1", #""ping""#, "null", "true"])
    func rejectsJSONThatIsNotAnObject(_ text: String) throws {
        let error = try #require(decodeError(text))
        #expect(error.code == .badMessage)
    }

    @Test func rejectsInvalidUTF8() throws {
        var buffer = ByteBuffer(string: #"{"type":"custom","event_type":"e","data":""#)
        buffer.writeBytes([0xC3, 0x28])
        buffer.writeString(#""}"#)
        #expect(throws: TaskwireError.self) { try ClientMessage.decode(buffer) }
    }

    @Test func rejectsAMessageWithoutTypeEchoingItsID() throws {
        let error = try #require(decodeError(#"{"id":3,"event_types":["a"]}"#))
        #expect(error.code == .badMessage)
        #expect(error.requestID == RequestID(3))
        #expect(error.message.contains("'type'"))
    }

    @Test(arguments: ["1", "null", "[\"ping\"]", "{}", "true"])
    func rejectsATypeThatIsNotAString(_ type: String) throws {
        let error = try #require(decodeError(#"{"id":"x","type":"# + type + "}"))
        #expect(error.code == .badMessage)
        #expect(error.requestID?.json == #""x""#)
    }

    @Test(arguments: ["subscribe", "unsubscribe"])
    func rejectsMissingEventTypes(_ type: String) throws {
        let error = try #require(decodeError(#"{"type":""# + type + #"","id":4}"#))
        #expect(error.code == .badMessage)
        #expect(error.requestID == RequestID(4))
        #expect(error.message.contains("event_types"))
    }

    @Test(arguments: [#""a""#, "null", "1", #"{"a":1}"#, #"[1]"#, #"["a",2]"#, #"["a",null]"#, #"[["a"]]"#])
    func rejectsEventTypesThatAreNotAnArrayOfStrings(_ value: String) throws {
        for type in ["subscribe", "unsubscribe"] {
            let error = try #require(decodeError(#"{"type":""# + type + #"","id":5,"event_types":"# + value + "}"))
            #expect(error.code == .badMessage)
            #expect(error.requestID == RequestID(5))
        }
    }

    @Test(arguments: [
        #""x""#, "[]", "1", #"{"a":1}"#, #"{"a":{"seq":1}}"#, #"{"a":{"epoch":"e"}}"#, #"{"a":{"seq":-1,"epoch":"e"}}"#,
        #"{"a":{"seq":1.5,"epoch":"e"}}"#, #"{"a":{"seq":"1","epoch":"e"}}"#, #"{"a":{"seq":1,"epoch":7}}"#,
        #"{"a":{"seq":18446744073709551616,"epoch":"e"}}"#, #"{"a":null}"#,
    ])
    func rejectsABadSince(_ since: String) throws {
        let error = try #require(decodeError(#"{"type":"subscribe","id":6,"event_types":["a"],"since":"# + since + "}"))
        #expect(error.code == .badMessage)
        #expect(error.requestID == RequestID(6))
        #expect(error.message.contains("since"))
    }

    @Test func rejectsCustomWithoutAStringEventType() throws {
        let missing = try #require(decodeError(#"{"type":"custom","id":7,"data":1}"#))
        #expect(missing.code == .badMessage)
        #expect(missing.requestID == RequestID(7))
        let notString = try #require(decodeError(#"{"type":"custom","id":"c","event_type":["a"],"data":1}"#))
        #expect(notString.code == .badMessage)
        #expect(notString.requestID?.json == #""c""#)
    }

    // MARK: unknown_type

    @Test func rejectsAnUnknownTypeEchoingItsID() throws {
        let error = try #require(decodeError(#"{"type":"publish","id":8}"#))
        #expect(error.code == .unknownType)
        #expect(error.requestID == RequestID(8))
        #expect(error.message.contains("publish"))
    }

    @Test func typesAreCaseSensitive() throws {
        #expect(try #require(decodeError(#"{"type":"PING"}"#)).code == .unknownType)
        #expect(try #require(decodeError(#"{"type":""}"#)).code == .unknownType)
    }

    @Test func shortensALongUnknownTypeInTheMessage() throws {
        let type = String(repeating: "x", count: 5000)
        let error = try #require(decodeError(#"{"type":""# + type + #""}"#))
        #expect(error.code == .unknownType)
        #expect(error.message.count < 200)
    }
}
