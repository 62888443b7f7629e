/// The families of generated inputs.
public enum FuzzFamily: String, CaseIterable, Sendable, Comparable {
    /// Valid documents, which must be accepted.
    case valid = "valid"
    case randomBytes = "random bytes"
    case truncated = "truncated"
    case mutated = "mutated"
    case deepNesting = "deep nesting"
    case hugeNumbers = "huge numbers"
    case invalidUTF8 = "invalid UTF-8"
    case duplicateKeys = "duplicate keys"
    case hugeStrings = "huge strings"
    case nulBytes = "NUL bytes"

    public static func < (lhs: FuzzFamily, rhs: FuzzFamily) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// Generates hostile inputs from valid templates, reproducibly from a seed.
///
/// ```swift
/// var fuzzer = JSONFuzzer(seed: 42, templates: [FuzzTemplate(["type": #""ping""#])])
/// let bytes = fuzzer.input(.mutated)
/// ```
public struct JSONFuzzer {
    public let templates: [FuzzTemplate]
    public var random: SeededGenerator

    /// Bytes that mean something to JSON, plus a few that never belong in it.
    static let alphabet = Array(#"{}[]:,"\/-+.eE0123456789abfnrtu "#.utf8) + [0x00, 0x09, 0x0A, 0x1F, 0x7F, 0x80, 0xC3, 0xED, 0xF0, 0xFF]
    /// The structural bytes a swap mutation exchanges.
    static let structural = Array(#"{}[]":,"#.utf8)

    public init(seed: UInt64, templates: [FuzzTemplate]) {
        precondition(!templates.isEmpty && templates.allSatisfy { !$0.members.isEmpty }, "a fuzzer needs templates with members")
        self.templates = templates
        self.random = SeededGenerator(seed: seed)
    }

    /// Every proper prefix of every template, the empty input included.
    public var allTruncations: [[UInt8]] {
        templates.flatMap { template in
            let bytes = template.bytes
            return (0..<bytes.count).map { Array(bytes[..<$0]) }
        }
    }

    /// One input of `family`.
    public mutating func input(_ family: FuzzFamily) -> [UInt8] {
        switch family {
        case .valid: template().bytes
        case .randomBytes: randomBytes()
        case .truncated: truncated()
        case .mutated: mutated(template().bytes)
        case .deepNesting: deepNesting()
        case .hugeNumbers: replacingValue(with: Array(HostileJSON.numbers.randomElement(using: &random)!.utf8))
        case .invalidUTF8: invalidUTF8()
        case .duplicateKeys: duplicateKey()
        case .hugeStrings: hugeString()
        case .nulBytes: nulByte()
        }
    }

    // MARK: - Families

    private mutating func randomBytes() -> [UInt8] {
        let length = chance(10) ? Int.random(in: 0...4096, using: &random) : Int.random(in: 0...300, using: &random)
        // Eight bytes from each random word: generic `random(in:using:)` per byte is slow in a debug build.
        let fromAlphabet = chance(2)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length + 8)
        while bytes.count < length {
            var word = random.next()
            for _ in 0..<8 {
                let byte = UInt8(truncatingIfNeeded: word)
                bytes.append(fromAlphabet ? Self.alphabet[Int(byte) % Self.alphabet.count] : byte)
                word >>= 8
            }
        }
        bytes.removeLast(bytes.count - length)
        if chance(4), !bytes.isEmpty { bytes[0] = UInt8(ascii: "{") }
        return bytes
    }

    /// A template, or a template with a hostile value, cut short.
    private mutating func truncated() -> [UInt8] {
        let source = chance(2) ? template().bytes : input([.hugeNumbers, .invalidUTF8, .duplicateKeys, .nulBytes].randomElement(using: &random)!)
        return Array(source.prefix(Int.random(in: 0..<max(1, source.count), using: &random)))
    }

    /// One to six byte-level edits: flips, replacements, insertions, deletions, swapped structure, repeats.
    public mutating func mutated(_ source: [UInt8]) -> [UInt8] {
        var bytes = source
        for _ in 0..<Int.random(in: 1...6, using: &random) {
            guard !bytes.isEmpty else {
                bytes.append(Self.alphabet.randomElement(using: &random)!)
                continue
            }
            let position = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<7, using: &random) {
            case 0: bytes[position] ^= 1 << UInt8.random(in: 0...7, using: &random)
            case 1: bytes[position] = Self.alphabet.randomElement(using: &random)!
            case 2: bytes.insert(Self.alphabet.randomElement(using: &random)!, at: position)
            case 3: bytes.remove(at: position)
            case 4:
                // Swap a quote, brace or bracket for another structural byte.
                for _ in 0..<16 {
                    let target = Int.random(in: 0..<bytes.count, using: &random)
                    guard Self.structural.contains(bytes[target]) else { continue }
                    bytes[target] = Self.structural.randomElement(using: &random)!
                    break
                }
            case 5:
                let end = min(bytes.count, position + Int.random(in: 1...16, using: &random))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            default:
                let end = min(bytes.count, position + Int.random(in: 1...16, using: &random))
                bytes.removeSubrange(position..<end)
            }
        }
        return bytes
    }

    private mutating func deepNesting() -> [UInt8] {
        let depths = [1, 2, 62, 63, 64, 65, 66, 100, 1000, 10_000, Int.random(in: 1...200, using: &random)]
        let depth = depths.randomElement(using: &random)!
        let value = HostileJSON.nested(depth: depth, shape: HostileJSON.NestingShape.allCases.randomElement(using: &random)!)
        if chance(8) {
            // The whole message nested, or an object that opens and never closes.
            return chance(2) ? value : HostileJSON.repeated(Array(#"{"a":"#.utf8), depth)
        }
        return replacingValue(with: value)
    }

    private mutating func invalidUTF8() -> [UInt8] {
        var piece: [UInt8]
        switch Int.random(in: 0..<3, using: &random) {
        case 0: piece = HostileJSON.invalidUTF8.randomElement(using: &random)!
        case 1: piece = Array(HostileJSON.badEscapes.randomElement(using: &random)!.utf8)
        default: piece = Array(HostileJSON.validUnicode.randomElement(using: &random)!.utf8)
        }
        var template = template()
        let index = Int.random(in: 0..<template.members.count, using: &random)
        if chance(3) {
            // In a member's name.
            var name = template.members[index].name
            name.insert(contentsOf: piece, at: Int.random(in: 0...name.count, using: &random))
            return template.replacingName(at: index, with: name).bytes
        }
        // In a string: the member's own, when it is one, else a new one.
        var value = template.members[index].value
        if value.first == UInt8(ascii: "\""), value.count >= 2 {
            value.insert(contentsOf: piece, at: Int.random(in: 1..<value.count, using: &random))
        } else {
            value = [UInt8(ascii: "\"")] + piece + [UInt8(ascii: "\"")]
        }
        template = template.replacingValue(at: index, with: value)
        return template.bytes
    }

    private mutating func duplicateKey() -> [UInt8] {
        let template = template()
        let original = template.members.randomElement(using: &random)!
        let others = templates.flatMap(\.members).filter { $0.name == original.name }.map(\.value)
        let candidates = others + [Array("null".utf8), Array("[]".utf8), Array("{}".utf8), Array(#""x""#.utf8), Array("7".utf8)]
        let duplicate = FuzzTemplate.Member(name: original.name, value: candidates.randomElement(using: &random)!)
        return template.inserting(duplicate, at: Int.random(in: 0...template.members.count, using: &random)).bytes
    }

    private mutating func hugeString() -> [UInt8] {
        // Up to 1 MiB of text, the standard preset's largest message.
        let size = [1 << 10, 1 << 14, 1 << 16, 1 << 20, Int.random(in: 1...(1 << 17), using: &random)].randomElement(using: &random)!
        let unit = Array(["a", "é", #"\u00e9"#, #"\""#].randomElement(using: &random)!.utf8)
        let text = HostileJSON.repeated(unit, max(1, size / unit.count))
        let quoted = [UInt8(ascii: "\"")] + text + [UInt8(ascii: "\"")]
        if chance(4) {
            let template = template()
            return template.replacingName(at: Int.random(in: 0..<template.members.count, using: &random), with: text).bytes
        }
        return replacingValue(with: quoted)
    }

    private mutating func nulByte() -> [UInt8] {
        switch Int.random(in: 0..<4, using: &random) {
        case 0:
            // A raw NUL anywhere.
            var bytes = template().bytes
            bytes.insert(0, at: Int.random(in: 0...bytes.count, using: &random))
            return bytes
        case 1:
            return replacingValue(with: Array(#""a\u0000b""#.utf8))
        case 2:
            return replacingValue(with: [UInt8(ascii: "\""), 0, UInt8(ascii: "\"")])
        default:
            let template = template()
            let index = Int.random(in: 0..<template.members.count, using: &random)
            return template.replacingName(at: index, with: template.members[index].name + (chance(2) ? [0] : Array(#"\u0000"#.utf8))).bytes
        }
    }

    // MARK: - Helpers

    private mutating func template() -> FuzzTemplate {
        templates.randomElement(using: &random)!
    }

    /// A random template with one member's value (or a new member's) replaced by `value`.
    private mutating func replacingValue(with value: [UInt8]) -> [UInt8] {
        let template = template()
        return template.replacingValue(at: Int.random(in: 0..<template.members.count, using: &random), with: value).bytes
    }

    /// True one time in `n`.
    private mutating func chance(_ n: Int) -> Bool {
        Int.random(in: 0..<n, using: &random) == 0
    }
}
