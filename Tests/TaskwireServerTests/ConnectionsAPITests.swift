import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TaskwireHub
import TaskwireProtocol
import TaskwireTesting
import Testing

@Suite struct ConnectionsAPITests {
    @Test func emptyListWhenNoneConnected() async throws {
        let fixture = APIFixture()
        try await fixture.test { client in
            let response = try await client.execute(uri: "/api/v1/connections", method: .get)
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == #"{"connections":[]}"#)
        }
    }

    @Test func listShowsEveryFieldOfEveryConnection() async throws {
        let fixture = APIFixture()
        let (first, _) = try fixture.connect(userID: "u1", sessionID: "s1", subscriptions: ["b", "a"])
        fixture.clock.advance(by: .milliseconds(1500))
        let (second, _) = try fixture.connect()
        fixture.clock.advance(by: .seconds(1))
        fixture.hub.handlePong(second)
        try await fixture.test { client in
            let response = try await client.execute(uri: "/api/v1/connections", method: .get)
            #expect(response.status == .ok)
            guard case .array(let list)? = response.json["connections"] else {
                Issue.record("no connections array: \(String(buffer: response.body))")
                return
            }
            #expect(list.count == 2)
            let expected: [JSONValue] = [
                .object([
                    "client_id": .string(first.id),
                    "user_id": .string("u1"),
                    "session_id": .string("s1"),
                    "connected_at": .string("2027-01-15T08:00:00.000Z"),
                    "last_ping": .string("2027-01-15T08:00:00.000Z"),
                    "state": .string("connected"),
                    "subscriptions": .array([.string("a"), .string("b")]),
                ]),
                .object([
                    "client_id": .string(second.id),
                    "user_id": .null,
                    "session_id": .null,
                    "connected_at": .string("2027-01-15T08:00:01.500Z"),
                    "last_ping": .string("2027-01-15T08:00:02.500Z"),
                    "state": .string("connected"),
                    "subscriptions": .array([]),
                ]),
            ]
            #expect(list == expected)
        }
    }

    @Test func deleteClosesTheConnectionWith1008() async throws {
        let fixture = APIFixture()
        let (client, transport) = try fixture.connect()
        try await fixture.test { http in
            let response = try await http.execute(uri: "/api/v1/connections/\(client.id)", method: .delete)
            #expect(response.status == .noContent)
            #expect(response.body.readableBytes == 0)
        }
        #expect(transport.closeCode == .policyViolation)
        #expect(await fixture.hub.connection(client.id)?.state == .disconnecting)
    }

    @Test(arguments: ["no-such-client", "%20bad%20", String(repeating: "x", count: 300)])
    func deleteUnknownIs404(clientID: String) async throws {
        let fixture = APIFixture()
        try await fixture.test { client in
            let response = try await client.execute(uri: "/api/v1/connections/\(clientID)", method: .delete)
            expectError(response, .notFound, code: "not_found", mentions: "client_id")
        }
    }

    @Test func deleteAfterTheConnectionIsGoneIs404() async throws {
        let fixture = APIFixture()
        let (client, _) = try fixture.connect()
        fixture.hub.removeConnection(client)
        try await fixture.test { http in
            let response = try await http.execute(uri: "/api/v1/connections/\(client.id)", method: .delete)
            expectError(response, .notFound, code: "not_found")
        }
    }

    @Test func wrongMethodsAre405() async throws {
        let fixture = APIFixture()
        try await fixture.test { client in
            let list = try await client.execute(uri: "/api/v1/connections", method: .post, body: .text("{}"))
            expectError(list, .methodNotAllowed, code: "method_not_allowed")
            #expect(list.headers[.allow] == "GET, HEAD")
            let one = try await client.execute(uri: "/api/v1/connections/abc", method: .get)
            expectError(one, .methodNotAllowed, code: "method_not_allowed")
            #expect(one.headers[.allow] == "DELETE")
        }
    }
}
