import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The dashboard's files as the server serves them: media types, caching, and every module the
/// page imports actually served.
@Suite struct DashboardAPITests {
    @Test func thePageIsHTMLWithAPolicyAndLoadsItsScriptAndStyles() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let page = try await client.get("/")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.headers[.cacheControl] == "no-cache")
            #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            let html = String(buffer: page.body)
            #expect(html.contains(#"<script type="module" src="/dashboard/dashboard.js"></script>"#))
            #expect(html.contains(#"href="/dashboard/dashboard.css""#))
            let css = try await client.get("/dashboard/dashboard.css")
            #expect(css.status == .ok && css.headers[.contentType] == "text/css; charset=utf-8")
        }
    }

    @Test func everyModuleTheDashboardImportsIsServedAsJavaScript() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            var pending = ["/dashboard/dashboard.js"]
            var seen: Set<String> = []
            while let path = pending.popLast() {
                guard seen.insert(path).inserted else { continue }
                let response = try await client.get(path)
                #expect(response.status == .ok, "\(path)")
                #expect(response.headers[.contentType] == "text/javascript; charset=utf-8", "\(path)")
                let source = String(buffer: response.body)
                for match in source.matches(of: /from "(\.\/|\/)([a-z-]+\.js)"/) {
                    pending.append(match.output.1 == "/" ? "/\(match.output.2)" : "/dashboard/\(match.output.2)")
                }
            }
            #expect(seen.contains("/taskwire-client.js"))
            #expect(seen.count >= 8, "\(seen.sorted())")
        }
    }

    @Test func anUnchangedFileIsNotModified() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            let first = try await client.get("/taskwire-client.js")
            let etag = try #require(first.headers[.eTag])
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""))
            for ifNoneMatch in [etag, "W/\(etag)", "\"other\", \(etag)", "*"] {
                let again = try await client.execute(uri: "/taskwire-client.js", method: .get, headers: [.ifNoneMatch: ifNoneMatch])
                #expect(again.status == .notModified, "\(ifNoneMatch)")
                #expect(again.body.readableBytes == 0)
                #expect(again.headers[.eTag] == etag)
            }
            let changed = try await client.execute(uri: "/taskwire-client.js", method: .get, headers: [.ifNoneMatch: "\"other\""])
            #expect(changed.status == .ok && changed.body.readableBytes == first.body.readableBytes)
            let other = try await client.get("/dashboard/dashboard.js")
            #expect(other.headers[.eTag] != etag, "each file has its own tag")
        }
    }

    @Test func unknownFilesAreNotFoundAndOtherMethodsNotAllowed() async throws {
        let fixture = TaskAPIFixture()
        try await fixture.test { client in
            expectError(try await client.get("/dashboard/nope.js"), .notFound, code: "not_found", mentions: "nope.js")
            expectError(try await client.get("/dashboard/index.html"), .notFound, code: "not_found")
            expectError(try await client.post("/", ""), .methodNotAllowed, code: "method_not_allowed")
            let head = try await client.execute(uri: "/", method: .head)
            #expect(head.status == .ok)
        }
    }
}
