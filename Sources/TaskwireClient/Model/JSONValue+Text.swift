import NIOCore
public import TaskwireProtocol

extension JSONValue {
    /// The value as compact JSON text (object members sorted by name).
    public var jsonText: String {
        var buffer = ByteBuffer()
        buffer.writeJSONValue(self)
        return String(buffer: buffer)
    }

    /// Parses JSON text.
    ///
    /// - Throws: `JSONParseError` when `text` is not one JSON value.
    public init(parsing text: String) throws(JSONParseError) {
        self = try JSONParser.parse(Array(text.utf8))
    }

    /// Parses the readable bytes of a buffer as JSON.
    static func parse(_ buffer: ByteBuffer) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(Array(buffer.readableBytesView))
    }
}
