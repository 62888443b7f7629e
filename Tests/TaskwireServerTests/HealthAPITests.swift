import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TaskwireHTTP
import TaskwireProtocol
import Testing

@Suite struct HealthAPITests {
    @Test func healthzIsOK() async throws {
        let fixture = APIFixture(readinessChecks: [ReadinessCheck(name: "store") { throw ReadinessCheck.Failure("down") }])
        try await fixture.test { client in
            let response = try await client.execute(uri: "/healthz", method: .get)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
            let head = try await client.execute(uri: "/healthz", method: .head)
            #expect(head.status == .ok)
        }
    }

    @Test func readyzIsOKWhenEveryCheckPasses() async throws {
        let fixture = APIFixture(readinessChecks: [
            ReadinessCheck(name: "store") {},
            ReadinessCheck(name: "backplane") {},
        ])
        try await fixture.test { client in
            let response = try await client.execute(uri: "/readyz", method: .get)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
        }
    }

    @Test func readyzIsOKWithNoChecks() async throws {
        let fixture = APIFixture()
        try await fixture.test { client in
            let response1 = try await client.execute(uri: "/readyz", method: .get)
            #expect(response1.status == .ok)
        }
    }

    @Test func readyzNamesTheFailingCheck() async throws {
        let fixture = APIFixture(readinessChecks: [
            ReadinessCheck(name: "store") {},
            ReadinessCheck(name: "backplane") { throw ReadinessCheck.Failure("not listening") },
        ])
        try await fixture.test { client in
            let response = try await client.execute(uri: "/readyz", method: .get)
            expectError(response, .serviceUnavailable, code: "unavailable", mentions: #"check "backplane" failed: not listening"#)
        }
    }

    @Test func readyzHidesTheDetailsOfOtherErrors() async throws {
        struct Secret: Error {}
        let fixture = APIFixture(readinessChecks: [ReadinessCheck(name: "store") { throw Secret() }])
        try await fixture.test { client in
            let response = try await client.execute(uri: "/readyz", method: .get)
            expectError(response, .serviceUnavailable, code: "unavailable", mentions: #""store""#)
            #expect(!String(buffer: response.body).contains("Secret"))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aCheckThatHangsTimesOut() async throws {
        let fixture = APIFixture(readinessChecks: [
            ReadinessCheck(name: "slow", timeout: .milliseconds(50)) { try await Task.sleep(for: .seconds(30)) }
        ])
        try await fixture.test { client in
            let response = try await client.execute(uri: "/readyz", method: .get)
            expectError(response, .serviceUnavailable, code: "unavailable", mentions: "slow")
        }
    }
}
