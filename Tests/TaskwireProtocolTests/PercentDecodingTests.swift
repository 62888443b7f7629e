import Testing
import TaskwireProtocol

@Suite("Percent-decoding")
struct PercentDecodingTests {
    @Test func escapesAreDecodedInEitherCase() {
        #expect(String(percentDecoding: "task%3Aabc%2cb%20c") == "task:abc,b c")
        #expect(String(percentDecoding: "caf%C3%A9") == "café")
        #expect(String(percentDecoding: "plain+text") == "plain+text")
        #expect(String(percentDecoding: "") == "")
    }

    @Test(arguments: ["%", "%4", "%zz", "a%g1", "%FF", "%C3"])
    func aMalformedEscapeOrBytesThatAreNotUTF8GiveNil(_ text: String) {
        #expect(String(percentDecoding: text) == nil)
    }
}
