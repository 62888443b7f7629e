import NIOCore
import Testing

@testable import TaskwireWebSocket

@Suite("Reading the first request's head")
struct UpgradeRequestHeadTests {
    static let upgrade = """
        GET /ws?subscribe=a,b HTTP/1.1\r
        Host: example.com\r
        Upgrade: websocket\r
        Connection: Upgrade\r
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r
        Sec-WebSocket-Version: 13\r
        \r

        """

    private func scan(_ text: String, maxLength: Int = 4096) -> UpgradeRequestHead.Scan {
        UpgradeRequestHead.scan(ByteBuffer(string: text), maxLength: maxLength)
    }

    @Test func anUpgradeIsReadWithItsLength() throws {
        guard case .upgrade(let head, let length) = scan(Self.upgrade + "\u{81}\u{80}") else {
            Issue.record("not read as an upgrade")
            return
        }
        #expect(length == Self.upgrade.utf8.count)
        #expect(head.target == "/ws?subscribe=a,b")
        #expect(head.path == "/ws")
        #expect(head.webSocketKey == ["dGhlIHNhbXBsZSBub25jZQ=="])
        #expect(head.webSocketVersion == ["13"])
        #expect(head.origin.isEmpty && head.authorization.isEmpty)
    }

    @Test func headerNamesAndTokensIgnoreCaseAndWhitespace() {
        let text = "GET /ws HTTP/1.1\r\nuPgRaDe:WebSocket \r\nCONNECTION: keep-alive,  upgrade\r\n"
            + "sec-websocket-version:\t13\r\nOrigin: https://a.example\r\nAuthorization: Bearer x.y.z\r\n"
            + "Sec-WebSocket-Extensions: permessage-deflate\r\nSec-WebSocket-Extensions: x-other\r\n\r\n"
        guard case .upgrade(let head, _) = scan(text) else {
            Issue.record("not read as an upgrade")
            return
        }
        #expect(head.webSocketVersion == ["13"])
        #expect(head.origin == ["https://a.example"])
        #expect(head.authorization == ["Bearer x.y.z"])
        #expect(head.extensions == ["permessage-deflate", "x-other"])
    }

    @Test func aHeadThatHasNotFullyArrivedIsIncomplete() {
        for cut in [1, 3, 4, 20, Self.upgrade.utf8.count - 1] {
            let part = String(decoding: Array(Self.upgrade.utf8.prefix(cut)), as: UTF8.self)
            guard case .incomplete = scan(part) else {
                Issue.record("\(cut) bytes: expected incomplete")
                continue
            }
        }
    }

    @Test func aResumedScanFindsAnEndThatStraddlesThePreviousPiece() {
        let bytes = Array(Self.upgrade.utf8)
        for cut in (bytes.count - 4)..<bytes.count {
            guard case .incomplete = UpgradeRequestHead.scan(ByteBuffer(bytes: bytes[..<cut]), maxLength: 4096) else {
                Issue.record("\(cut) bytes: expected incomplete")
                continue
            }
            guard case .upgrade(_, let length) = UpgradeRequestHead.scan(ByteBuffer(bytes: bytes), maxLength: 4096, searched: cut) else {
                Issue.record("resumed after \(cut) bytes: expected the upgrade")
                continue
            }
            #expect(length == bytes.count)
        }
    }

    @Test(arguments: [
        "POST /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        "GEX",
        "GET /ws HTTP/1.0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        "GET /ws HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",
        "GET /ws HTTP/1.1\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
        "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Folded: a\r\n b\r\n\r\n",
        "GET /ws HTTP/1.1\r\nUpgrade: websocket\nConnection: Upgrade\r\n\r\n",
        "GET /ws HTTP/1.1\r\nUpgrade : websocket\r\nConnection: Upgrade\r\n\r\n",
        "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 5\r\n\r\n",
        "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nTransfer-Encoding: chunked\r\n\r\n",
        "GET /ws  HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        "GET /w\u{7F}s HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Bad: a\u{1}b\r\n\r\n",
    ])
    func whatIsNotAPlainUpgradeGoesToHTTP(_ text: String) {
        guard case .notUpgrade = scan(text) else {
            Issue.record("expected notUpgrade for \(text.debugDescription)")
            return
        }
    }

    @Test func aHeadLongerThanTheLimitGoesToHTTP() {
        let long = "GET /ws HTTP/1.1\r\nX-Long: \(String(repeating: "a", count: 300))\r\n"
        guard case .notUpgrade = scan(long, maxLength: 200) else {
            Issue.record("expected notUpgrade past the limit")
            return
        }
        guard case .incomplete = scan(long, maxLength: 1000) else {
            Issue.record("expected incomplete within the limit")
            return
        }
    }

    @Test func queryParametersArePercentDecoded() {
        let pairs = Array(QueryParameters(of: "/ws?subscribe=task%3Aabc,b&token=x%2By&flag&bad=%zz&subscribe=c"))
        #expect(pairs.map(\.0) == ["subscribe", "token", "flag", "bad", "subscribe"])
        #expect(pairs.map(\.1) == ["task:abc,b", "x+y", "", "%zz", "c"])
        #expect(Array(QueryParameters(of: "/ws")).isEmpty)
    }
}
