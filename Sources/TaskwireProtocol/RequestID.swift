import NIOCore

/// The `id` a client gives a request: an integer or a string, echoed back exactly in the answer.
public struct RequestID: Sendable, Hashable, CustomStringConvertible {
    /// The id as JSON text (a number or a quoted string).
    public let json: String

    /// Reads an id from a parsed JSON value, when it is an integer or a string.
    public init?(_ value: JSONValue) {
        switch value {
        case .number(let text) where Int64(text) != nil:
            self.json = text
        case .string(let s):
            var buffer = ByteBuffer()
            buffer.writeJSONString(s)
            self.json = String(buffer: buffer)
        default:
            return nil
        }
    }

    /// An integer id.
    public init(_ value: Int64) { self.json = String(value) }

    public var description: String { json }
}
