public import NIOCore

extension ByteBuffer {
    /// Writes `string` as a JSON string literal, quotes included, escaping what JSON requires.
    @inlinable
    public mutating func writeJSONString(_ string: String) {
        self.writeInteger(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            var runStart = 0
            for i in 0..<utf8.count {
                let b = utf8[i]
                guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
                if runStart < i { self.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[runStart..<i])) }
                runStart = i + 1
                switch b {
                case UInt8(ascii: "\""): self.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): self.writeStaticString("\\\\")
                case 0x0A: self.writeStaticString("\\n")
                case 0x0D: self.writeStaticString("\\r")
                case 0x09: self.writeStaticString("\\t")
                default:
                    let hex: StaticString = "0123456789abcdef"
                    self.writeStaticString("\\u00")
                    self.writeInteger(hex.utf8Start[Int(b >> 4)])
                    self.writeInteger(hex.utf8Start[Int(b & 0x0F)])
                }
            }
            if runStart < utf8.count { self.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[runStart...])) }
        }
        self.writeInteger(UInt8(ascii: "\""))
    }

    /// Writes `string` as a JSON string literal, or `null` when it is nil.
    @inlinable
    public mutating func writeJSONString(orNull string: String?) {
        if let string { self.writeJSONString(string) } else { self.writeStaticString("null") }
    }

    /// Writes an integer in decimal.
    @inlinable
    public mutating func writeJSONInteger<I: BinaryInteger>(_ value: I) {
        self.writeString(String(value))
    }

    /// Writes a floating-point number as JSON (non-finite values become `null`).
    @inlinable
    public mutating func writeJSONNumber(_ value: Double) {
        if value.isFinite {
            if value == value.rounded(), abs(value) < 1e15 {
                self.writeString(String(Int64(value)))
            } else {
                self.writeString(String(value))
            }
        } else {
            self.writeStaticString("null")
        }
    }

    /// Writes a JSON value.
    public mutating func writeJSONValue(_ value: JSONValue) {
        switch value {
        case .null: self.writeStaticString("null")
        case .bool(let b): self.writeStaticString(b ? "true" : "false")
        case .number(let text): self.writeString(text)
        case .string(let s): self.writeJSONString(s)
        case .array(let items):
            self.writeInteger(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { self.writeInteger(UInt8(ascii: ",")) }
                self.writeJSONValue(item)
            }
            self.writeInteger(UInt8(ascii: "]"))
        case .object(let members):
            self.writeInteger(UInt8(ascii: "{"))
            for (i, key) in members.keys.sorted().enumerated() {
                if i > 0 { self.writeInteger(UInt8(ascii: ",")) }
                self.writeJSONString(key)
                self.writeInteger(UInt8(ascii: ":"))
                self.writeJSONValue(members[key]!)
            }
            self.writeInteger(UInt8(ascii: "}"))
        }
    }

    /// Writes an array of strings as a JSON array.
    @inlinable
    public mutating func writeJSONStringArray<S: Sequence<String>>(_ strings: S) {
        self.writeInteger(UInt8(ascii: "["))
        var first = true
        for s in strings {
            if !first { self.writeInteger(UInt8(ascii: ",")) }
            first = false
            self.writeJSONString(s)
        }
        self.writeInteger(UInt8(ascii: "]"))
    }
}
