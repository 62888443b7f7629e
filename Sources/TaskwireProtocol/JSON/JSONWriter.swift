public import NIOCore

extension ByteBuffer {
    /// Writes `string` as a JSON string literal, quotes included, escaping what JSON requires.
    ///
    /// One pass sizes the text and one writes it into the buffer's memory, so a string that is
    /// all escapes (a client's 1 MiB `id` of quotes, echoed) costs no more calls than one with none.
    @inlinable
    public mutating func writeJSONString(_ string: String) {
        var string = string
        string.withUTF8 { utf8 in
            var length = 2
            for b in utf8 {
                switch b {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x0A, 0x0D, 0x09: length += 2
                case ..<0x20: length += 6
                default: length += 1
                }
            }
            self.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { out in
                let hex: StaticString = "0123456789abcdef"
                var o = 0
                func put(_ byte: UInt8) {
                    out[o] = byte
                    o += 1
                }
                put(UInt8(ascii: "\""))
                var runStart = 0
                for i in 0..<utf8.count {
                    let b = utf8[i]
                    guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
                    if runStart < i {
                        UnsafeMutableRawBufferPointer(rebasing: out[o..<(o + i - runStart)])
                            .copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[runStart..<i]))
                        o += i - runStart
                    }
                    runStart = i + 1
                    put(UInt8(ascii: "\\"))
                    switch b {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"): put(b)
                    case 0x0A: put(UInt8(ascii: "n"))
                    case 0x0D: put(UInt8(ascii: "r"))
                    case 0x09: put(UInt8(ascii: "t"))
                    default:
                        put(UInt8(ascii: "u"))
                        put(UInt8(ascii: "0"))
                        put(UInt8(ascii: "0"))
                        put(hex.utf8Start[Int(b >> 4)])
                        put(hex.utf8Start[Int(b & 0x0F)])
                    }
                }
                if runStart < utf8.count {
                    let count = utf8.count - runStart
                    UnsafeMutableRawBufferPointer(rebasing: out[o..<(o + count)])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[runStart...]))
                    o += count
                }
                put(UInt8(ascii: "\""))
                return o
            }
        }
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
