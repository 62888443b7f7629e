import Testing
import TaskwireProtocol

@Suite struct JSONObjectMembersTests {
    /// The text a member's range points at.
    private func text(of member: JSONMember?, in source: String) -> String? {
        guard let member else { return nil }
        let bytes = Array(source.utf8)
        guard member.range.lowerBound >= 0, member.range.upperBound <= bytes.count else { return nil }
        return String(decoding: bytes[member.range], as: UTF8.self)
    }

    @Test func returnsEachMemberWithTheRangeOfItsText() throws {
        let source = #" { "type" : "custom", "data" :  {"a": [1, 2.50, "\u00e9"]} , "n":-1.5e3,"z":null } "#
        let members = try objectMembers(source).get()
        #expect(members.keys.sorted() == ["data", "n", "type", "z"])
        #expect(members["type"]?.value == .string("custom"))
        #expect(text(of: members["type"], in: source) == #""custom""#)
        #expect(text(of: members["data"], in: source) == #"{"a": [1, 2.50, "\u00e9"]}"#)
        #expect(members["data"]?.value == .object(["a": .array([.number("1"), .number("2.50"), .string("é")])]))
        #expect(text(of: members["n"], in: source) == "-1.5e3")
        #expect(members["n"]?.value == .number("-1.5e3"))
        #expect(text(of: members["z"], in: source) == "null")
        #expect(members["z"]?.value.isNull == true)
    }

    @Test func rangesCountBytesNotCharacters() throws {
        let source = #"{"é😀":"ü","v":[true]}"#
        let members = try objectMembers(source).get()
        #expect(text(of: members["v"], in: source) == "[true]")
        #expect(text(of: members["é😀"], in: source) == #""ü""#)
    }

    @Test func decodesEscapedKeys() throws {
        let members = try objectMembers(#"{"ty\u0070e":"ping"}"#).get()
        #expect(members["type"]?.value == .string("ping"))
    }

    @Test func acceptsTheEmptyObject() throws {
        #expect(try objectMembers("{}").get().isEmpty)
        #expect(try objectMembers(" \n{ \t}\r\n").get().isEmpty)
    }

    @Test(arguments: ["[]", "1", "\"s\"", "null", "true", "", "   ", "[{}]"])
    func rejectsAnythingButAnObject(_ source: String) {
        #expect(throws: JSONParseError.self) { try objectMembers(source).get() }
    }

    @Test(arguments: [
        "{} {}", "{}x", #"{"a":1}}"#, #"{"a":1},"#, "{", #"{"a""#, #"{"a":"#, #"{"a":1"#, #"{"a":1,"#, #"{"a":1,}"#,
        #"{a:1}"#, #"{"a" 1}"#, #"{"a":01}"#, #"{"a":"\ud800"}"#, "{\"a\":\"\u{01}\"}", #"{"a":[1,]}"#,
    ])
    func rejectsMalformedObjects(_ source: String) {
        #expect(throws: JSONParseError.self) { try objectMembers(source).get() }
    }

    @Test func rejectsInvalidUTF8InKeysAndValues() {
        #expect(throws: JSONParseError.self) { try objectMembers([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]).get() }
        #expect(throws: JSONParseError.self) { try objectMembers([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC3, 0x22, 0x7D]).get() }
    }

    @Test func countsTheTopLevelObjectAsTheFirstLevelOfNesting() {
        let limit = JSONParser.maximumDepth
        func document(levels: Int) -> String {
            // One top-level object holding `levels - 1` nested arrays.
            #"{"a":"# + String(repeating: "[", count: levels - 1) + String(repeating: "]", count: levels - 1) + "}"
        }
        #expect((try? objectMembers(document(levels: limit)).get()) != nil)
        #expect((try? objectMembers(document(levels: limit + 1)).get()) == nil)
        // The same limit as the whole-value parser.
        #expect(parseError(document(levels: limit)) == nil)
        #expect(parseError(document(levels: limit + 1)) != nil)
    }

    @Test func everyProperPrefixIsRejected() {
        let source = Array(#"{"type":"custom","event_type":"x","data":{"k":[1,"\ud83d\ude00"]}}"#.utf8)
        #expect((try? objectMembers(source).get()) != nil)
        for length in 0..<source.count {
            #expect((try? objectMembers(Array(source[..<length])).get()) == nil, "prefix of length \(length) was accepted")
        }
    }
}
