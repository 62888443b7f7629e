import NIOCore
import TaskwireProtocol

/// Typed reads of a request body's fields, each failing with a 400 that names the field and the reason.
///
/// Optional fields that are absent or `null` read as nil (PROTOCOL.md: a missing value is `null`).
extension JSONRequestBody {
    /// An integer field within `range`, or nil when it is absent or `null`.
    ///
    /// A number with a zero fraction (`3.0`, `1e2`) counts as an integer, as JSON Schema has it.
    /// - Throws: `bad_request` when the field is not a number, not whole, or out of `range`.
    func integer(_ field: String, in range: ClosedRange<Int>) throws(HTTPAPIError) -> Int? {
        guard let member = members[field], !member.value.isNull else { return nil }
        guard case .number(let text) = member.value else {
            throw HTTPAPIError(.badRequest, "field '\(field)' must be an integer, not \(member.value.typeName)")
        }
        let outOfRange = HTTPAPIError(
            .badRequest,
            "field '\(field)' must be an integer between \(range.lowerBound) and \(range.upperBound), not \(Self.shown(text))"
        )
        if let exact = Int64(text) {
            guard let value = Int(exactly: exact), range.contains(value) else { throw outOfRange }
            return value
        }
        guard let double = Double(text), double.isFinite else { throw outOfRange }
        guard double == double.rounded() else {
            throw HTTPAPIError(.badRequest, "field '\(field)' must be an integer, not \(Self.shown(text))")
        }
        guard double >= Double(range.lowerBound), double <= Double(range.upperBound), let value = Int(exactly: double),
            range.contains(value)
        else { throw outOfRange }
        return value
    }

    /// A number field, or nil when it is absent or `null`.
    /// - Throws: `bad_request` when the field is not a number (or too large for a `Double`).
    func number(_ field: String) throws(HTTPAPIError) -> Double? {
        guard let member = members[field], !member.value.isNull else { return nil }
        guard case .number(let text) = member.value else {
            throw HTTPAPIError(.badRequest, "field '\(field)' must be a number, not \(member.value.typeName)")
        }
        guard let value = Double(text), value.isFinite else {
            throw HTTPAPIError(.badRequest, "field '\(field)' is out of range: \(Self.shown(text))")
        }
        return value
    }

    /// A Boolean field, or nil when it is absent or `null`.
    /// - Throws: `bad_request` when the field is not `true` or `false`.
    func bool(_ field: String) throws(HTTPAPIError) -> Bool? {
        guard let member = members[field], !member.value.isNull else { return nil }
        guard let value = member.value.boolValue else {
            throw HTTPAPIError(.badRequest, "field '\(field)' must be a boolean, not \(member.value.typeName)")
        }
        return value
    }

    /// The JSON text of a field exactly as the client sent it, or nil when it is absent.
    ///
    /// - Parameter limit: the largest text accepted, in bytes.
    /// - Throws: `payload_too_large` (413) naming the field when its text is longer than `limit`.
    func rawText(_ field: String, limit: Int) throws(HTTPAPIError) -> String? {
        guard let member = members[field] else { return nil }
        guard member.range.count <= limit else {
            throw HTTPAPIError(
                .payloadTooLarge,
                "field '\(field)' is \(member.range.count) bytes of JSON, larger than the limit of \(limit) bytes"
            )
        }
        guard let slice = rawValue(field) else { return nil }
        return String(buffer: slice)
    }

    /// A number's text for an error message, cut short when long.
    private static func shown(_ text: String) -> String {
        text.count > 32 ? String(text.prefix(32)) + "…" : text
    }
}
