import NIOCore

extension ByteBuffer {
    /// Writes base64 of `bytes` (standard alphabet, padded).
    mutating func writeBase64(_ bytes: some Collection<UInt8>) {
        let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        alphabet.withUTF8Buffer { alphabet in
            var input = bytes.makeIterator()
            while let b0 = input.next() {
                let b1 = input.next()
                let b2 = b1 == nil ? nil : input.next()
                let c1 = UInt8(b1 ?? 0), c2 = UInt8(b2 ?? 0)
                writeInteger(alphabet[Int(b0 >> 2)])
                writeInteger(alphabet[Int((b0 & 0x03) << 4 | c1 >> 4)])
                writeInteger(b1 == nil ? UInt8(ascii: "=") : alphabet[Int((c1 & 0x0F) << 2 | c2 >> 6)])
                writeInteger(b2 == nil ? UInt8(ascii: "=") : alphabet[Int(c2 & 0x3F)])
            }
        }
    }
}

extension Array where Element == UInt8 {
    /// Decodes standard padded base64; nil when the text is not that.
    init?(base64Encoded text: some StringProtocol) {
        var values: [UInt8] = []
        var padding = 0
        for c in text.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = c - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = c - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "/"): v = 63
            case UInt8(ascii: "="):
                padding += 1
                continue
            default: return nil
            }
            guard padding == 0 else { return nil }
            values.append(v)
        }
        guard (values.count + padding) % 4 == 0, padding <= 2 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i + 1 < values.count {
            out.append(values[i] << 2 | values[i + 1] >> 4)
            if i + 2 < values.count { out.append(values[i + 1] << 4 | values[i + 2] >> 2) }
            if i + 3 < values.count { out.append(values[i + 2] << 6 | values[i + 3]) }
            i += 4
        }
        self = out
    }
}
