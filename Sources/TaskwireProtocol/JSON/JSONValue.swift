/// A parsed JSON value.
///
/// Numbers keep their original text, so a value read and written again is unchanged
/// (no rounding through `Double`, no loss of 64-bit integers).
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number, as the text it was written with (already checked against the JSON grammar).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The value as a 64-bit integer, when it is a number with no fraction or exponent that fits.
    public var int64Value: Int64? {
        guard case .number(let text) = self else { return nil }
        return Int64(text)
    }

    /// The value as a `Double`, when it is a number.
    public var doubleValue: Double? {
        guard case .number(let text) = self else { return nil }
        return Double(text)
    }

    /// The value as a string, when it is one.
    public var stringValue: String? {
        guard case .string(let s) = self else { return nil }
        return s
    }

    /// The value as a Boolean, when it is one.
    public var boolValue: Bool? {
        guard case .bool(let b) = self else { return nil }
        return b
    }

    /// Member lookup for objects, nil otherwise.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }

    /// Whether the value is `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// A short name of the value's JSON type, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
