import TaskwireTesting
import NIOCore
import Testing
import TaskwireProtocol

@Suite struct JSONParserTests {
    // MARK: Valid values

    @Test func parsesLiterals() throws {
        #expect(try parse("null") == .null)
        #expect(try parse("true") == .bool(true))
        #expect(try parse("false") == .bool(false))
    }

    @Test func parsesNestedArraysAndObjects() throws {
        let value = try parse(#" { "a" : [1, "two", {"b": null}, [] ], "c": {}, "d": [true,false] } "#)
        let expected: JSONValue = .object([
            "a": .array([.number("1"), .string("two"), .object(["b": .null]), .array([])]),
            "c": .object([:]),
            "d": .array([.bool(true), .bool(false)]),
        ])
        #expect(value == expected)
    }

    @Test func allowsTheFourWhitespaceCharactersAroundTokens() throws {
        #expect(try parse(" \t\r\n[ 1 ,\t2\r\n]\n ") == .array([.number("1"), .number("2")]))
    }

    @Test func duplicateKeysKeepTheLastValue() throws {
        #expect(try parse(#"{"a":1,"a":2}"#) == .object(["a": .number("2")]))
    }

    @Test(arguments: [
        "0", "-0", "7", "-12", "3.25", "0.0", "1.0", "1.50", "1e10", "1E+2", "-2.5e-3", "0e0",
        "1800000000000000000123", "123456789012345678901234567890.5e-7", "1e400",
    ])
    func keepsNumbersAsTheirText(_ text: String) throws {
        #expect(try parse(text) == .number(text))
    }

    @Test func integerAccessorsDoNotRoundBigNumbers() throws {
        let big = try parse("1800000000000000000123")
        #expect(big.int64Value == nil)
        #expect(try parse("9223372036854775807").int64Value == Int64.max)
        #expect(try parse("-9223372036854775808").int64Value == Int64.min)
        #expect(try parse("9223372036854775808").int64Value == nil)
        #expect(try parse("1.5").int64Value == nil)
        #expect(try parse("1.5").doubleValue == 1.5)
    }

    // MARK: Strings and escapes

    @Test func decodesTheSimpleEscapes() throws {
        #expect(try parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{08}\u{0C}\n\r\t"))
    }

    @Test func decodesUnicodeEscapesInEitherCase() throws {
        #expect(try parse(#""\u00e9""#) == .string("é"))
        #expect(try parse(#""\u00E9\u20AC""#) == .string("é€"))
        #expect(try parse(#""\u0000""#) == .string("\u{0}"))
        #expect(try parse(#""a\u0041b""#) == .string("aAb"))
    }

    @Test func decodesSurrogatePairs() throws {
        #expect(try parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try parse(#""\uD834\uDD1E""#) == .string("𝄞"))
        #expect(try parse(#""x\ud83d\ude00y""#) == .string("x😀y"))
    }

    @Test func keepsRawUTF8() throws {
        #expect(try parse("\"é€😀 中文\"") == .string("é€😀 中文"))
        // Raw text after an escape (the slow path) stays intact too.
        #expect(try parse("\"\\n中😀\"") == .string("\n中😀"))
    }

    @Test(arguments: [
        #""\ud83d""#, #""\ude00""#, #""\ud83dx""#, #""\ud83d\u0041""#, #""\ud83d\ud83d""#,
        #""\ud83d\n""#, #""\udbff""#, #""\ud800\""#,
    ])
    func rejectsLoneSurrogates(_ text: String) {
        #expect(parseError(text) != nil)
    }

    @Test(arguments: UInt8(0x00)...UInt8(0x1F))
    func rejectsRawControlCharactersInStrings(_ byte: UInt8) {
        // Both before any escape (fast path) and after one (slow path).
        #expect(parseError([0x22, 0x61, byte, 0x62, 0x22]) != nil)
        #expect(parseError([0x22, 0x5C, 0x6E, byte, 0x22]) != nil)
        #expect(parseError([0x7B, 0x22, byte, 0x22, 0x3A, 0x31, 0x7D]) != nil)
    }

    @Test(arguments: [
        [0xFF], [0xC3], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
        [0xF0, 0x9F, 0x98], [0x80], [0xF8, 0x88, 0x80, 0x80, 0x80],
    ] as [[UInt8]])
    func rejectsInvalidUTF8(_ sequence: [UInt8]) {
        #expect(parseError([0x22] + sequence + [0x22]) != nil)
        #expect(parseError([0x22, 0x5C, 0x74] + sequence + [0x22]) != nil)
    }

    @Test(arguments: [
        #""\x41""#, #""\u12G4""#, #""\u12""#, #""\'""#, #""\U0041""#,
    ])
    func rejectsInvalidEscapes(_ text: String) {
        #expect(parseError(text) != nil)
    }

    // MARK: Rejections

    @Test(arguments: [
        "01", "-01", "00", "-", "+1", ".5", "1.", "1.e3", "1e", "1e+", "1E-", "-.5", "0x10", "NaN", "Infinity",
        "-Infinity", "1_000", "--1", "1e1.5",
    ])
    func rejectsBadNumbers(_ text: String) {
        #expect(parseError(text) != nil)
        #expect(parseError("[\(text)]") != nil)
    }

    @Test func rejectsNumbersLongerThan512Characters() {
        #expect(parseError(String(repeating: "1", count: 512)) == nil)
        #expect(parseError(String(repeating: "1", count: 513)) != nil)
    }

    @Test(arguments: ["1 2", "{} {}", "{}x", "[1]]", "null,", "\"a\"\"b\"", "true false", "[] \u{0}"])
    func rejectsTrailingData(_ text: String) {
        #expect(parseError(text) != nil)
    }

    @Test(arguments: [
        "", " ", "{", "[", "[1,", "[1", "\"abc", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,", "tru", "nul", "fals",
        "\"\\", "\"\\u12", "\"\\ud83d\\u", "-", "1e",
    ])
    func rejectsTruncatedInput(_ text: String) {
        #expect(parseError(text) != nil)
    }

    @Test(arguments: [
        "[1,]", "{\"a\":1,}", "{'a':1}", "{a:1}", "[1 2]", "{\"a\" 1}", "{1:2}", "{\"a\":1 \"b\":2}", ",", "]", "}",
        "True", "NULL", "\u{0C}1", "\u{A0}1", "'x'", "[,1]", "{,}", "undefined",
    ])
    func rejectsOtherMalformedInput(_ text: String) {
        #expect(parseError(text) != nil)
    }

    @Test func reportsWhereTheProblemIs() throws {
        let error = try #require(parseError("[1,x]"))
        #expect(error.offset == 3)
        #expect(!error.reason.isEmpty)
    }

    // MARK: Nesting

    @Test func acceptsNestingUpToSixtyFourLevels() {
        let depth = JSONParser.maximumDepth
        #expect(depth == 64)
        #expect(parseError(String(repeating: "[", count: depth) + String(repeating: "]", count: depth)) == nil)
        let objects = String(repeating: #"{"a":"#, count: depth - 1) + "{}" + String(repeating: "}", count: depth - 1)
        #expect(parseError(objects) == nil)
    }

    @Test func rejectsNestingDeeperThanSixtyFourLevels() {
        let depth = JSONParser.maximumDepth + 1
        #expect(parseError(String(repeating: "[", count: depth) + String(repeating: "]", count: depth)) != nil)
        let objects = String(repeating: #"{"a":"#, count: depth - 1) + "{}" + String(repeating: "}", count: depth - 1)
        #expect(parseError(objects) != nil)
        let mixed = String(repeating: #"[{"a":"#, count: 33) + "1" + String(repeating: "}]", count: 33)
        #expect(parseError(mixed) != nil)
    }

    @Test func hugeNestingIsRejectedWithoutExhaustingTheStack() {
        #expect(parseError(String(repeating: "[", count: 200_000)) != nil)
        #expect(parseError(String(repeating: #"{"a":"#, count: 100_000)) != nil)
    }

    // MARK: Robustness

    @Test func everyProperPrefixOfAnObjectIsRejected() {
        let document = Array(#"{"type":"custom","id":-12.5e3,"data":{"a":[true,false,null,"\u00e9\ud83d\ude00"],"b":"x\"y"}}"#.utf8)
        #expect(parseError(document) == nil)
        for length in 0..<document.count {
            #expect(parseError(Array(document[..<length])) != nil, "prefix of length \(length) was accepted")
        }
    }

    @Test func mutatedInputNeverTrapsAndWhatParsesRoundTrips() throws {
        let seeds = [
            #"{"type":"subscribe","id":1,"event_types":["a","b"],"since":{"a":{"seq":41,"epoch":"e1"}}}"#,
            #"[1,-2.5e+3,"\u00e9\ud83d\ude00\n",{"x":[[],{}]},true,null]"#,
            "\"é€😀\"",
        ].map { Array($0.utf8) }
        let alphabet = Array(#"{}[]:,"\/-+.eE0123456789abfnrtu "#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xED, 0xF0, 0xFF]
        var rng = SeededGenerator(seed: 0x7A5C_3E11)
        var accepted = 0
        for _ in 0..<3000 {
            var bytes = seeds.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let position = Int.random(in: 0..<max(1, bytes.count), using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0 where !bytes.isEmpty: bytes[position] = alphabet.randomElement(using: &rng)!
                case 1: bytes.insert(alphabet.randomElement(using: &rng)!, at: min(position, bytes.count))
                case 2 where !bytes.isEmpty: bytes.remove(at: position)
                default: bytes = Array(bytes.prefix(position))
                }
            }
            guard case .success(let value) = parseResult(bytes) else { continue }
            accepted += 1
            var written = ByteBuffer()
            written.writeJSONValue(value)
            #expect(try parseBuffer(written) == value)
        }
        // Some mutations (inside strings, digits for digits) keep the document valid.
        #expect(accepted > 0)
    }
}
