import NIOCore
import TaskwireProtocol

/// Parses UTF-8 text as one JSON value.
func parse(_ text: String) throws(JSONParseError) -> JSONValue {
    try JSONParser.parse(Array(text.utf8))
}

/// Parses raw bytes, returning the error instead of throwing it.
func parseResult(_ bytes: [UInt8]) -> Result<JSONValue, JSONParseError> {
    Result { () throws(JSONParseError) -> JSONValue in try JSONParser.parse(bytes) }
}

/// The parser's error for `bytes`, or nil when it accepted them.
func parseError(_ bytes: [UInt8]) -> JSONParseError? {
    if case .failure(let error) = parseResult(bytes) { return error }
    return nil
}

/// The parser's error for `text`, or nil when it accepted it.
func parseError(_ text: String) -> JSONParseError? {
    parseError(Array(text.utf8))
}

/// Runs `JSONParser.parseObjectMembers` over `bytes`.
func objectMembers(_ bytes: [UInt8]) -> Result<[String: JSONMember], JSONParseError> {
    bytes.withUnsafeBufferPointer { buffer in
        Result { () throws(JSONParseError) -> [String: JSONMember] in try JSONParser.parseObjectMembers(buffer) }
    }
}

/// Runs `JSONParser.parseObjectMembers` over UTF-8 text.
func objectMembers(_ text: String) -> Result<[String: JSONMember], JSONParseError> {
    objectMembers(Array(text.utf8))
}

/// Decodes a client message, returning the error instead of throwing it.
func decode(_ text: String) -> Result<ClientMessage, TaskwireError> {
    Result { () throws(TaskwireError) -> ClientMessage in try ClientMessage.decode(ByteBuffer(string: text)) }
}

/// The decoding error for `text`, or nil when it decoded.
func decodeError(_ text: String) -> TaskwireError? {
    if case .failure(let error) = decode(text) { return error }
    return nil
}

/// Parses the readable bytes of a buffer as JSON.
func parseBuffer(_ buffer: ByteBuffer) throws(JSONParseError) -> JSONValue {
    try JSONParser.parse(Array(buffer.readableBytesView))
}

extension JSONValue {
    /// Member lookup for objects, nil otherwise.
    subscript(member key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }

    /// The keys of an object, sorted; empty for anything else.
    var memberNames: [String] {
        guard case .object(let members) = self else { return [] }
        return members.keys.sorted()
    }
}
