import HTTPTypes
import Hummingbird
import NIOCore

/// A file compiled into the binary and served as is: its bytes, its media type and an `ETag`
/// (a hash of the bytes), with `Cache-Control: no-cache` so that browsers revalidate and get
/// `304 Not Modified` while the file is unchanged.
struct StaticAsset: Sendable {
    let body: ByteBuffer
    let contentType: String
    let etag: String
    /// Further headers (a content security policy, say).
    let extraHeaders: HTTPFields

    init(_ bytes: [UInt8], contentType: String, extraHeaders: HTTPFields = [:]) {
        self.body = ByteBuffer(bytes: bytes)
        self.contentType = contentType
        self.etag = #""\#(Self.hash(bytes))""#
        self.extraHeaders = extraHeaders
    }

    /// The asset, or `304` with no body when `If-None-Match` names its `ETag`.
    func response(to request: Request) -> Response {
        var headers: HTTPFields = [
            .eTag: etag,
            .cacheControl: "no-cache",
            .xContentTypeOptions: "nosniff",
        ]
        headers.append(contentsOf: extraHeaders)
        if let tags = request.headers[.ifNoneMatch], Self.matches(tags, etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = contentType
        headers[.contentLength] = String(body.readableBytes)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    /// Whether an `If-None-Match` value (`*`, or a list of tags, weak ones included) names `etag`.
    static func matches(_ ifNoneMatch: String, _ etag: String) -> Bool {
        ifNoneMatch.split(separator: ",").contains { candidate in
            let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
            var tag = candidate.drop(while: isSpace)
            while let last = tag.last, isSpace(last) { tag = tag.dropLast() }
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
            return tag == etag
        }
    }

    /// 64-bit FNV-1a of `bytes`, in hexadecimal: enough to tell versions of a file apart.
    static func hash(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
