import TaskwireClient
import Testing

@Suite struct ConfigurationTests {
    @Test func backoffGrowsExponentiallyUpToTheMaximum() {
        let policy = ReconnectPolicy(initialDelay: .milliseconds(100), maximumDelay: .seconds(1), multiplier: 2, jitter: 0.5)
        #expect(policy.delay(afterFailures: 1, random: 0) == .milliseconds(100))
        #expect(policy.delay(afterFailures: 2, random: 0) == .milliseconds(200))
        #expect(policy.delay(afterFailures: 3, random: 0) == .milliseconds(400))
        #expect(policy.delay(afterFailures: 10, random: 0) == .seconds(1))
    }

    @Test func jitterTakesAwayAtMostItsFraction() {
        let policy = ReconnectPolicy(initialDelay: .milliseconds(400), maximumDelay: .seconds(5), jitter: 0.5)
        #expect(policy.delay(afterFailures: 1, random: 0.999_999) > .milliseconds(199))
        #expect(policy.delay(afterFailures: 1, random: 0.5) == .milliseconds(300))
        for _ in 0..<100 {
            let delay = policy.delay(afterFailures: 1)
            #expect(delay >= .milliseconds(200) && delay <= .milliseconds(400))
        }
    }

    @Test func serverAddressesParse() throws {
        let plain = try ServerAddress("http://127.0.0.1:8080")
        #expect(plain.host == "127.0.0.1" && plain.port == 8080 && !plain.usesTLS && plain.pathPrefix == "")
        #expect(plain.httpURL("/api/v1/tasks") == "http://127.0.0.1:8080/api/v1/tasks")
        let tls = try ServerAddress("https://tw.example/prefix/")
        #expect(tls.usesTLS && tls.port == 443 && tls.pathPrefix == "/prefix")
        let bare = try ServerAddress("localhost:9000")
        #expect(bare.host == "localhost" && bare.port == 9000)
        let v6 = try ServerAddress("ws://[::1]:81")
        #expect(v6.host == "::1" && v6.port == 81 && v6.httpURL("/x") == "http://[::1]:81/x")
        #expect(throws: TaskwireClientError.self) { try ServerAddress("ftp://x") }
        #expect(throws: TaskwireClientError.self) { try ServerAddress("http://x:99999") }
        #expect(throws: TaskwireClientError.self) { try ServerAddress("http://:80") }
    }
}
