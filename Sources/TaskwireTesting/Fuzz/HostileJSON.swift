/// Fragments of hostile JSON that the fuzz generators splice into valid documents.
public enum HostileJSON {
    /// Numbers at and past every edge: huge, tiny, negative zero, past 64 bits, past the parser's
    /// 512-character limit, and texts that are not JSON numbers at all.
    public static let numbers: [String] = [
        "1e999999", "-1e999999", "1e-999999", "1E+308", "1.7976931348623157e309", "4.9e-325",
        "-0", "-0.0", "0.0", "0e0", "1.0", "1e2", "2.5", "-1", "0",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "18446744073709551615", "18446744073709551616", "3600", "3601", "2147483647", "2147483648", "-2147483649",
        String(repeating: "9", count: 400), "-" + String(repeating: "9", count: 400),
        "1" + String(repeating: "0", count: 511), "1" + String(repeating: "0", count: 512),
        "0." + String(repeating: "0", count: 400) + "1", "1e" + String(repeating: "9", count: 400),
        // Not JSON numbers.
        "01", "-", "1.", ".5", "+1", "1e", "1e+", "0x10", "NaN", "Infinity", "-Infinity", "1_000", "١",
    ]

    /// Bytes that are not valid UTF-8 (or encode what JSON strings may not hold).
    public static let invalidUTF8: [[UInt8]] = [
        [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0xAF], [0xF0, 0x80, 0x80, 0xAF],  // overlong
        [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xED, 0xA0, 0xBD, 0xED, 0xB2, 0xA9],  // UTF-16 surrogates, encoded
        [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],  // past U+10FFFF
        [0xFF], [0xFE], [0xFE, 0xFF], [0x80], [0xBF], [0x80, 0x80],  // never valid, lone continuation bytes
        [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98],  // truncated sequences
        [0xC3, 0x28], [0xE2, 0x28, 0xA1],  // bad continuation
    ]

    /// Escapes that are valid JSON syntax but name lone surrogates or break off.
    public static let badEscapes: [String] = [
        #"\ud800"#, #"\udc00"#, #"\udbff\u0041"#, #"\ud800\ud800"#, #"\udfff\ud800"#, #"\ud83d"#,
        #"\u12"#, #"\uZZZZ"#, #"\x41"#, #"\'"#, #"\"#, #"\U0041"#,
    ]

    /// Valid non-ASCII text, which must pass where a string is allowed.
    public static let validUnicode: [String] = ["é", "€", "😀", "\u{FEFF}", "\u{10FFFF}", #"\u00e9"#, #"\ud83d\ude00"#, #"\u0000"#]

    /// A value nested `depth` levels deep in the given `shape`.
    public static func nested(depth: Int, shape: NestingShape) -> [UInt8] {
        let open: String
        let close: String
        let core: String
        switch shape {
        case .arrays: (open, close, core) = ("[", "]", "1")
        case .objects: (open, close, core) = (#"{"a":"#, "}", "1")
        case .mixed: (open, close, core) = (#"[{"a":"#, "}]", "[]")
        case .unclosed: (open, close, core) = ("[", "", "")
        case .mismatched: (open, close, core) = ("[", "}", "1")
        }
        let count = shape == .mixed ? max(1, depth / 2) : depth
        return repeated(Array(open.utf8), count) + Array(core.utf8) + repeated(Array(close.utf8), count)
    }

    /// `unit` repeated `count` times, built by doubling (a few copies, not `count` appends: debug builds are slow at those).
    public static func repeated(_ unit: [UInt8], _ count: Int) -> [UInt8] {
        guard count > 0, !unit.isEmpty else { return [] }
        var bytes = unit
        while bytes.count < unit.count * count { bytes += bytes }
        return Array(bytes.prefix(unit.count * count))
    }

    /// How a nested value is built.
    public enum NestingShape: CaseIterable, Sendable {
        case arrays, objects, mixed, unclosed, mismatched
    }
}
