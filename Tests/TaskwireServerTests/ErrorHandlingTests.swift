import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import TaskwireHTTP
import TaskwireProtocol
import Testing

@Suite struct ErrorHandlingTests {
    @Test(arguments: [
        (HTTPRequest.Method.get, "/api/v1/nope"),
        (.get, "/no/such/route"),
        (.post, "/api/v1/nothing-here"),
        (.get, "/api/v2/metrics"),
    ])
    func unknownRoutesAre404WithTheJSONBody(method: HTTPRequest.Method, path: String) async throws {
        let fixture = APIFixture()
        try await fixture.test { client in
            let response = try await client.execute(uri: path, method: method, body: method == .post ? .text("{}") : nil)
            expectError(response, .notFound, code: "not_found", mentions: path)
        }
    }

    @Test func errorsThrownByRoutesBecomeTheJSONBody() async throws {
        struct Unexpected: Error {}
        let fixture = APIFixture { router in
            router.get("hb-error") { _, _ -> Response in throw HTTPError(.conflict, message: "already done") }
            router.get("hb-error-bare") { _, _ -> Response in throw HTTPError(.tooManyRequests) }
            router.get("protocol-error") { _, _ -> Response in throw TaskwireError(.invalidEventType, "field 'x': bad") }
            router.get("protocol-forbidden") { _, _ -> Response in throw TaskwireError(.forbidden, "no") }
            router.get("unexpected") { _, _ -> Response in throw Unexpected() }
            router.post("too-big") { request, _ -> Response in
                var request = request
                _ = try await request.collectBody(upTo: 4)
                return Response(status: .ok)
            }
        }
        try await fixture.test { client in
            let response1 = try await client.execute(uri: "/hb-error", method: .get)
            expectError(response1, .conflict, code: "conflict", mentions: "already done")
            let response2 = try await client.execute(uri: "/hb-error-bare", method: .get)
            expectError(response2, .tooManyRequests, code: "rate_limited")
            let response3 = try await client.execute(uri: "/protocol-error", method: .get)
            expectError(response3, .badRequest, code: "bad_request", mentions: "field 'x'")
            let response4 = try await client.execute(uri: "/protocol-forbidden", method: .get)
            expectError(response4, .forbidden, code: "forbidden")
            let unexpected = try await client.execute(uri: "/unexpected", method: .get)
            expectError(unexpected, .internalServerError, code: "internal")
            #expect(!String(buffer: unexpected.body).contains("Unexpected"))
            expectError(
                try await client.execute(uri: "/too-big", method: .post, body: .text("0123456789")),
                .contentTooLarge,
                code: "payload_too_large"
            )
        }
    }

    @Test func taskwireErrorsMapToHTTPCodes() {
        let cases: [(ErrorCode, HTTPAPIError.Code)] = [
            (.badMessage, .badRequest), (.unknownType, .badRequest), (.invalidEventType, .badRequest),
            (.forbidden, .forbidden), (.notFound, .notFound), (.rateLimited, .rateLimited), (.internal, .internal),
        ]
        for (code, expected) in cases {
            let error = TaskwireError(code, "m")
            #expect(error.httpError.code == expected)
            #expect(error.status == expected.status)
        }
    }
}
