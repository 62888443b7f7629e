/// A valid JSON object that fuzz inputs are made from: its members in order, each a name (the
/// bytes between the quotes) and the JSON text of its value.
///
/// Working on members rather than bytes lets a generator put a hostile value or name exactly
/// where a decoder reads a field.
public struct FuzzTemplate: Sendable {
    /// One member: the raw bytes of its name (no quotes) and of its value's JSON text.
    public struct Member: Sendable {
        public var name: [UInt8]
        public var value: [UInt8]

        public init(name: [UInt8], value: [UInt8]) {
            self.name = name
            self.value = value
        }
    }

    public var members: [Member]

    /// A template from (name, JSON text) pairs, e.g. `["type": #""ping""#, "id": "1"]`.
    public init(_ members: KeyValuePairs<String, String>) {
        self.members = members.map { Member(name: Array($0.key.utf8), value: Array($0.value.utf8)) }
    }

    public init(members: [Member]) {
        self.members = members
    }

    /// The object's text: `{"name":value,…}` with no white space.
    public var bytes: [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, member) in members.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: member.name)
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
            out.append(contentsOf: member.value)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The template with member `index`'s value replaced.
    public func replacingValue(at index: Int, with value: [UInt8]) -> FuzzTemplate {
        var copy = self
        copy.members[index].value = value
        return copy
    }

    /// The template with member `index`'s name replaced.
    public func replacingName(at index: Int, with name: [UInt8]) -> FuzzTemplate {
        var copy = self
        copy.members[index].name = name
        return copy
    }

    /// The template with `member` inserted at `index`.
    public func inserting(_ member: Member, at index: Int) -> FuzzTemplate {
        var copy = self
        copy.members.insert(member, at: index)
        return copy
    }
}
