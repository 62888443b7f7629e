import Hummingbird
import NIOCore
import TaskwireProtocol

/// A request body that must be one JSON object, read with the protocol's strict parser.
///
/// Each member keeps the byte range of its text, so that a value such as `data` can be passed
/// on unchanged (no decoding and re-encoding).
struct JSONRequestBody: Sendable {
    /// The whole body.
    let buffer: ByteBuffer
    /// The object's members.
    let members: [String: JSONMember]

    /// Parses `buffer` as one JSON object.
    /// - Throws: ``HTTPAPIError`` `bad_request` when it is empty, not JSON or not an object.
    init(parsing buffer: ByteBuffer) throws(HTTPAPIError) {
        guard buffer.readableBytes > 0 else {
            throw HTTPAPIError(.badRequest, "request body is empty: expected a JSON object")
        }
        let result: Result<[String: JSONMember], JSONParseError> = buffer.withUnsafeReadableBytes { raw in
            Result { () throws(JSONParseError) -> [String: JSONMember] in
                try JSONParser.parseObjectMembers(raw.bindMemory(to: UInt8.self))
            }
        }
        switch result {
        case .success(let members):
            self.buffer = buffer
            self.members = members
        case .failure(let error):
            throw HTTPAPIError(.badRequest, "request body is not a JSON object: \(error)")
        }
    }

    /// Reads the body of `request`, at most `limit` bytes, and parses it.
    /// - Throws: ``HTTPAPIError`` `payload_too_large` past `limit`, `bad_request` when it is not a JSON object.
    static func read(_ request: Request, limit: Int) async throws -> JSONRequestBody {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw HTTPAPIError(.payloadTooLarge, "request body is larger than the limit of \(limit) bytes")
        }
        return try JSONRequestBody(parsing: buffer)
    }

    /// A string field, or nil when it is absent or `null`.
    /// - Throws: `bad_request` naming the field when it is not a string.
    func string(_ field: String) throws(HTTPAPIError) -> String? {
        guard let member = members[field], !member.value.isNull else { return nil }
        guard let value = member.value.stringValue else {
            throw HTTPAPIError(.badRequest, "field '\(field)' must be a string, not \(member.value.typeName)")
        }
        return value
    }

    /// A string field that must be present.
    /// - Throws: `bad_request` naming the field when it is missing, `null` or not a string.
    func requiredString(_ field: String) throws(HTTPAPIError) -> String {
        guard let value = try string(field) else {
            throw HTTPAPIError(.badRequest, "field '\(field)' is missing")
        }
        return value
    }

    /// The JSON text of a field, unchanged, or nil when it is absent.
    func rawValue(_ field: String) -> ByteBuffer? {
        guard let member = members[field] else { return nil }
        return buffer.getSlice(at: buffer.readerIndex + member.range.lowerBound, length: member.range.count)
    }
}
