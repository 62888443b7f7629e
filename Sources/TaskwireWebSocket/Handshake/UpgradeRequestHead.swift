import NIOCore

/// The head of a connection's first request, read just far enough to tell a WebSocket upgrade
/// from anything else, without NIO's HTTP decoder.
///
/// The reading is strict: a request it cannot read plainly (another method or HTTP version,
/// a folded or malformed header line, a body) is ``Scan/notUpgrade`` and goes to the full HTTP
/// stack, which answers it as any other request.
struct UpgradeRequestHead {
    /// The request target as sent, e.g. `/ws?subscribe=a,b`.
    var target: String
    /// Each value of the header fields the handshake reads, one per header line, with the
    /// optional whitespace around it removed.
    var webSocketVersion: [String] = []
    var webSocketKey: [String] = []
    var origin: [String] = []
    var extensions: [String] = []
    var authorization: [String] = []

    /// The target's path: everything before `?`.
    var path: Substring {
        target.firstIndex(of: "?").map { target[..<$0] } ?? target[...]
    }

    /// What the bytes received so far are.
    enum Scan {
        /// A `GET` whose head has not fully arrived yet.
        case incomplete
        /// Not a WebSocket upgrade that can be read plainly: for the HTTP stack.
        case notUpgrade
        /// An upgrade to WebSocket, whose head takes the first `length` bytes.
        case upgrade(UpgradeRequestHead, length: Int)
    }

    /// Reads the head at the start of `buffer`'s readable bytes; a head longer than
    /// `maxLength` bytes is ``Scan/notUpgrade``. `searched` is how many of the bytes an earlier
    /// scan already found incomplete, so that a head arriving in many small pieces is not
    /// searched again from its start each time.
    static func scan(_ buffer: ByteBuffer, maxLength: Int, searched: Int = 0) -> Scan {
        buffer.withUnsafeReadableBytes { bytes in
            let method = "GET ".utf8
            guard bytes.count >= method.count else {
                return bytes.elementsEqual(method.prefix(bytes.count)) ? .incomplete : .notUpgrade
            }
            guard bytes.prefix(method.count).elementsEqual(method) else { return .notUpgrade }
            guard let end = endOfHead(bytes, from: max(0, searched - 3), limit: maxLength) else {
                return bytes.count >= maxLength ? .notUpgrade : .incomplete
            }
            guard let head = parse(UnsafeRawBufferPointer(rebasing: bytes[..<end])) else { return .notUpgrade }
            return .upgrade(head, length: end)
        }
    }

    /// The index just past the blank line that ends the head, if it is within `limit` bytes.
    private static func endOfHead(_ bytes: UnsafeRawBufferPointer, from start: Int, limit: Int) -> Int? {
        let last = min(bytes.count, limit)
        var index = start
        while index + 3 < last {
            if bytes[index + 3] != UInt8(ascii: "\n") {
                // Skip ahead: the four bytes ending at index + 3 cannot be CR LF CR LF.
                index += bytes[index + 3] == UInt8(ascii: "\r") ? 1 : 4
                continue
            }
            if bytes[index] == UInt8(ascii: "\r"), bytes[index + 1] == UInt8(ascii: "\n"), bytes[index + 2] == UInt8(ascii: "\r") {
                return index + 4
            }
            index += 1
        }
        return nil
    }

    /// Parses a head that ends with CR LF CR LF; nil unless it is a plain `GET … HTTP/1.1`
    /// asking to upgrade to WebSocket.
    private static func parse(_ bytes: UnsafeRawBufferPointer) -> UpgradeRequestHead? {
        var lines = Lines(bytes: bytes)
        // Request line: "GET <target> HTTP/1.1".
        guard let requestLine = lines.next() else { return nil }
        let version = " HTTP/1.1".utf8
        guard requestLine.count > 4 + version.count, requestLine.suffix(version.count).elementsEqual(version) else { return nil }
        let target = requestLine[(requestLine.startIndex + 4)..<(requestLine.endIndex - version.count)]
        guard target.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        var head = UpgradeRequestHead(target: String(decoding: target, as: UTF8.self))
        var upgradesToWebSocket = false
        var connectionUpgrade = false
        while let line = lines.next() {
            if line.isEmpty { return lines.atEnd && upgradesToWebSocket && connectionUpgrade ? head : nil }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            let name = line[..<colon]
            // An empty name, whitespace before the colon, or a folded line: not plain HTTP.
            guard !name.isEmpty, name.allSatisfy(isTokenCharacter) else { return nil }
            let value = trimmingWhitespace(line[(colon + 1)...])
            guard value.allSatisfy({ $0 == 0x09 || $0 >= 0x20 && $0 != 0x7F }) else { return nil }
            let text = { String(decoding: value, as: UTF8.self) }
            if equalIgnoringCase(name, "upgrade") {
                upgradesToWebSocket = upgradesToWebSocket || hasToken("websocket", in: value)
            } else if equalIgnoringCase(name, "connection") {
                connectionUpgrade = connectionUpgrade || hasToken("upgrade", in: value)
            } else if equalIgnoringCase(name, "sec-websocket-version") {
                head.webSocketVersion.append(text())
            } else if equalIgnoringCase(name, "sec-websocket-key") {
                head.webSocketKey.append(text())
            } else if equalIgnoringCase(name, "origin") {
                head.origin.append(text())
            } else if equalIgnoringCase(name, "sec-websocket-extensions") {
                head.extensions.append(text())
            } else if equalIgnoringCase(name, "authorization") {
                head.authorization.append(text())
            } else if equalIgnoringCase(name, "content-length") {
                guard value.elementsEqual("0".utf8) else { return nil }
            } else if equalIgnoringCase(name, "transfer-encoding") {
                return nil
            }
        }
        return nil
    }

    /// The lines of a head, each without its CR LF; nil at a line that does not end with
    /// CR LF or holds a bare CR or LF.
    private struct Lines {
        let bytes: UnsafeRawBufferPointer
        var start = 0
        var atEnd: Bool { start == bytes.count }

        init(bytes: UnsafeRawBufferPointer) {
            self.bytes = bytes
        }

        mutating func next() -> Slice<UnsafeRawBufferPointer>? {
            guard let cr = bytes[start...].firstIndex(where: { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") }),
                bytes[cr] == UInt8(ascii: "\r"), cr + 1 < bytes.count, bytes[cr + 1] == UInt8(ascii: "\n")
            else { return nil }
            defer { start = cr + 2 }
            return bytes[start..<cr]
        }
    }

    /// RFC 9110 `tchar`.
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func trimmingWhitespace(_ value: Slice<UnsafeRawBufferPointer>) -> Slice<UnsafeRawBufferPointer> {
        let isWhitespace: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard let first = value.firstIndex(where: { !isWhitespace($0) }), let last = value.lastIndex(where: { !isWhitespace($0) }) else {
            return value[value.endIndex...]
        }
        return value[first...last]
    }

    /// Whether `bytes` spell `lowercase` (ASCII), letters in any case.
    private static func equalIgnoringCase(_ bytes: Slice<UnsafeRawBufferPointer>, _ lowercase: StaticString) -> Bool {
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            zip(bytes, expected).allSatisfy { byte, wanted in
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 == wanted : byte == wanted
            }
        }
    }

    /// Whether the comma-separated list `value` holds `token`, compared without regard to case.
    private static func hasToken(_ token: StaticString, in value: Slice<UnsafeRawBufferPointer>) -> Bool {
        value.split(separator: UInt8(ascii: ",")).contains { equalIgnoringCase(trimmingWhitespace($0), token) }
    }
}
