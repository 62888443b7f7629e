import TaskwireTesting
import NIOCore
import Testing
import TaskwireProtocol

@Suite struct JSONWriterTests {
    private func written(_ body: (inout ByteBuffer) -> Void) -> String {
        var buffer = ByteBuffer()
        body(&buffer)
        return String(buffer: buffer)
    }

    @Test func escapesWhatJSONRequires() {
        let text = written { $0.writeJSONString("a\"b\\c\nd\re\tf") }
        #expect(text == #""a\"b\\c\nd\re\tf""#)
    }

    @Test func escapesOtherControlCharactersAsLowercaseUnicodeEscapes() {
        #expect(written { $0.writeJSONString("\u{0}\u{1}\u{8}\u{C}\u{1B}\u{1F}") } == #""\u0000\u0001\u0008\u000c\u001b\u001f""#)
    }

    @Test func leavesEverythingElseAsIs() {
        let text = "/ é€😀 \u{7F} 'x' <b>&amp;"
        #expect(written { $0.writeJSONString(text) } == "\"" + text + "\"")
        #expect(written { $0.writeJSONString("") } == #""""#)
    }

    @Test func everyControlCharacterRoundTrips() throws {
        for scalar in 0..<0x20 {
            let s = "x" + String(Character(Unicode.Scalar(UInt8(scalar)))) + "y"
            var buffer = ByteBuffer()
            buffer.writeJSONString(s)
            #expect(try parseBuffer(buffer) == .string(s), "U+\(String(scalar, radix: 16))")
        }
    }

    @Test func randomStringsRoundTripThroughTheParser() throws {
        var rng = SeededGenerator(seed: 42)
        let ranges: [ClosedRange<UInt32>] = [0x00...0x7F, 0x80...0x7FF, 0x800...0xD7FF, 0xE000...0xFFFF, 0x10000...0x10FFFF]
        for _ in 0..<500 {
            var s = ""
            for _ in 0..<Int.random(in: 0...24, using: &rng) {
                let range = ranges.randomElement(using: &rng)!
                s.unicodeScalars.append(Unicode.Scalar(UInt32.random(in: range, using: &rng))!)
            }
            var buffer = ByteBuffer()
            buffer.writeJSONString(s)
            #expect(try parseBuffer(buffer) == .string(s))
        }
    }

    @Test func writesNullForAMissingString() {
        #expect(written { $0.writeJSONString(orNull: nil) } == "null")
        #expect(written { $0.writeJSONString(orNull: "n") } == #""n""#)
    }

    @Test func writesStringArrays() {
        #expect(written { $0.writeJSONStringArray([String]()) } == "[]")
        #expect(written { $0.writeJSONStringArray(["a", "b\"c", "task:1"]) } == #"["a","b\"c","task:1"]"#)
    }

    @Test func writesIntegersInDecimal() {
        #expect(written { $0.writeJSONInteger(0) } == "0")
        #expect(written { $0.writeJSONInteger(Int64.min) } == "-9223372036854775808")
        #expect(written { $0.writeJSONInteger(UInt64.max) } == "18446744073709551615")
    }

    @Test func writesWholeDoublesWithoutAFraction() {
        #expect(written { $0.writeJSONNumber(1.0) } == "1")
        #expect(written { $0.writeJSONNumber(-42.0) } == "-42")
        #expect(written { $0.writeJSONNumber(0.5) } == "0.5")
    }

    @Test func writesNullForNonFiniteDoubles() {
        #expect(written { $0.writeJSONNumber(.nan) } == "null")
        #expect(written { $0.writeJSONNumber(.infinity) } == "null")
        #expect(written { $0.writeJSONNumber(-.infinity) } == "null")
    }

    @Test(arguments: [
        0.1, -2.5, 1e20, -1e-7, 123_456_789_012_345_678.0, -0.0, 0.000_123, 1e15, 999_999_999_999_999.0,
        Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, Double.pi,
    ])
    func writesDoublesAsValidJSONNumbersThatReadBackTheSame(_ value: Double) throws {
        var buffer = ByteBuffer()
        buffer.writeJSONNumber(value)
        let parsed = try parseBuffer(buffer)
        guard case .number = parsed else {
            Issue.record("\(value) was written as \(String(buffer: buffer))")
            return
        }
        #expect(parsed.doubleValue == value)
    }

    @Test func writesValuesCompactlyWithSortedKeys() throws {
        let value: JSONValue = .object([
            "z": .null, "a": .array([.number("1800000000000000000123"), .bool(true), .string("é\"")]),
            "m": .object(["y": .number("-1.50e3"), "x": .array([])]),
        ])
        let text = written { $0.writeJSONValue(value) }
        #expect(text == #"{"a":[1800000000000000000123,true,"é\""],"m":{"x":[],"y":-1.50e3},"z":null}"#)
        #expect(try parse(text) == value)
    }

    @Test func parsedDocumentsRoundTripUnchanged() throws {
        let documents = [
            #"{"type":"custom","event_type":"bench","data":{"n":1800000000000000000123,"s":"\ud83d\ude00\n","f":1.0e-3}}"#,
            #"[[[]],{},"",0,-0,true,false,null]"#,
            #""\u0000\u001f\\\"""#,
        ]
        for document in documents {
            let value = try parse(document)
            var buffer = ByteBuffer()
            buffer.writeJSONValue(value)
            #expect(try parseBuffer(buffer) == value)
        }
    }
}
