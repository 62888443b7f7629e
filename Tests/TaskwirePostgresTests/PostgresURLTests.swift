import Testing
import TaskwirePostgres

@Suite struct PostgresURLTests {
    @Test func parsesEveryPart() throws {
        let url = try #require(PostgresURL("postgres://tw%40x:p%3Ass@db.example:6543/tasks?sslmode=require"))
        #expect(url == PostgresURL(username: "tw@x", password: "p:ss", host: "db.example", port: 6543, database: "tasks", requiresTLS: true))
    }

    @Test func defaultsPortDatabaseAndTLS() throws {
        let url = try #require(PostgresURL("postgresql://alice@localhost"))
        #expect(url == PostgresURL(username: "alice", password: nil, host: "localhost", port: 5432, database: "alice", requiresTLS: false))
        #expect(PostgresURL("postgres://a:b@[::1]:5433/d")?.host == "::1")
        #expect(PostgresURL("postgres://a:b@[::1]:5433/d")?.port == 5433)
        #expect(PostgresURL("postgres://a@h/d?sslmode=disable")?.requiresTLS == false)
    }

    @Test func rejectsWhatIsNotAPostgresURL() {
        #expect(PostgresURL("taskwire.db") == nil)
        #expect(PostgresURL("postgres://host/db") == nil)
        #expect(PostgresURL("postgres://u@host:99999/db") == nil)
        #expect(PostgresURL("postgres://u@host:x/db") == nil)
        #expect(PostgresURL("postgres://u:%zz@host/db") == nil)
    }

    @Test func redactedHidesThePassword() throws {
        let url = try #require(PostgresURL("postgres://tw:s3cret@127.0.0.1:5432/taskwire"))
        #expect(url.redacted == "postgres://tw:***@127.0.0.1:5432/taskwire")
        #expect(!"\(url)".contains("s3cret"))
    }
}
