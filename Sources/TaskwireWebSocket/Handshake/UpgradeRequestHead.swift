import NIOCore

/// The head of a connection's first request, read just far enough to tell a WebSocket upgrade
/// from anything else, without NIO's HTTP decoder.
///
/// The reading is strict: a request it cannot read plainly (another method or HTTP version,
/// a folded or malformed header line, a body) is ``Scan/notUpgrade`` and goes to the full HTTP
/// stack, which answers it as any other request.
struct UpgradeRequestHead {
    /// The request target as sent, e.g. `/ws?subscribe=a,b`.
    var target: Substring
    /// Each value of the header fields the handshake reads, one per header line, with the
    /// optional whitespace around it removed.
    var webSocketVersion: [Substring] = []
    var webSocketKey: [Substring] = []
    var origin: [Substring] = []
    var extensions: [Substring] = []
    var authorization: [Substring] = []

    /// The target's path: everything before `?`.
    var path: Substring {
        target.firstIndex(of: "?").map { target[..<$0] } ?? target
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
    /// `maxLength` bytes is ``Scan/notUpgrade``.
    static func scan(_ buffer: ByteBuffer, maxLength: Int) -> Scan {
        let bytes = buffer.readableBytesView
        let method = "GET ".utf8
        guard bytes.count >= method.count else {
            return bytes.elementsEqual(method.prefix(bytes.count)) ? .incomplete : .notUpgrade
        }
        guard bytes.prefix(method.count).elementsEqual(method) else { return .notUpgrade }
        guard let end = endOfHead(bytes, limit: maxLength) else {
            return bytes.count >= maxLength ? .notUpgrade : .incomplete
        }
        let text = String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
        guard let head = parse(text) else { return .notUpgrade }
        return .upgrade(head, length: end - bytes.startIndex)
    }

    /// The index just past the blank line that ends the head, if it is within `limit` bytes.
    private static func endOfHead(_ bytes: ByteBufferView, limit: Int) -> Int? {
        let last = min(bytes.endIndex, bytes.startIndex + limit)
        var index = bytes.startIndex
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
    private static func parse(_ text: String) -> UpgradeRequestHead? {
        var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        // The head ends with "\r\n\r\n": two empty pieces after the last split.
        guard lines.count >= 3, lines.removeLast().isEmpty, lines.removeLast().elementsEqual("\r".utf8) else { return nil }
        var lineTexts: [Substring] = []
        lineTexts.reserveCapacity(lines.count)
        for line in lines {
            // Every line ends with CR; a CR or LF anywhere else is not plain HTTP.
            guard line.last == UInt8(ascii: "\r") else { return nil }
            let content = line.dropLast()
            guard !content.contains(UInt8(ascii: "\r")) else { return nil }
            lineTexts.append(Substring(content))
        }
        // Request line: "GET <target> HTTP/1.1".
        let requestLine = lineTexts[0]
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "GET", parts[2] == "HTTP/1.1", !parts[1].isEmpty,
            parts[1].utf8.allSatisfy({ (0x21...0x7E).contains($0) })
        else { return nil }
        var head = UpgradeRequestHead(target: parts[1])
        var upgradesToWebSocket = false
        var connectionUpgrade = false
        for line in lineTexts.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = line[..<colon]
            // An empty name, whitespace before the colon, or a folded line: not plain HTTP.
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenCharacter) else { return nil }
            let value = trimmingWhitespace(line[line.index(after: colon)...])
            guard value.utf8.allSatisfy({ $0 == 0x09 || $0 >= 0x20 && $0 != 0x7F }) else { return nil }
            switch name.lowercased() {
            case "upgrade":
                upgradesToWebSocket = upgradesToWebSocket || hasToken("websocket", in: value)
            case "connection":
                connectionUpgrade = connectionUpgrade || hasToken("upgrade", in: value)
            case "sec-websocket-version": head.webSocketVersion.append(value)
            case "sec-websocket-key": head.webSocketKey.append(value)
            case "origin": head.origin.append(value)
            case "sec-websocket-extensions": head.extensions.append(value)
            case "authorization": head.authorization.append(value)
            case "content-length":
                guard value == "0" else { return nil }
            case "transfer-encoding":
                return nil
            default:
                break
            }
        }
        return upgradesToWebSocket && connectionUpgrade ? head : nil
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

    private static func trimmingWhitespace(_ value: Substring) -> Substring {
        let isWhitespace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = value.firstIndex(where: { !isWhitespace($0) }), let last = value.lastIndex(where: { !isWhitespace($0) }) else {
            return value[value.endIndex...]
        }
        return value[first...last]
    }

    /// Whether the comma-separated list `value` holds `token`, compared without regard to case.
    private static func hasToken(_ token: String, in value: Substring) -> Bool {
        value.split(separator: ",").contains { trimmingWhitespace($0).lowercased() == token }
    }
}
