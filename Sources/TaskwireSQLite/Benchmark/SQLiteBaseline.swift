import GRDB

/// The task lifecycle done bare on SQLite: the same three transactions a task costs the store
/// (insert; claim the oldest pending task; complete it), with the same journal mode and
/// synchronous level, and nothing else: no events, no records, no checks. It is the ceiling
/// the `bench lifecycle` command compares Taskwire against.
package enum SQLiteBaseline {
    /// Runs `tasks` lifecycles with `producers` inserting and `workers` claiming and completing,
    /// concurrently. Returns the wall time in seconds.
    package static func run(path: String, synchronous: SQLiteStoreConfiguration.Synchronous, tasks: Int, producers: Int, workers: Int) async throws -> Double {
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(5)
        let pool = try DatabasePool(path: path, configuration: configuration)
        try await pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS bare (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, queue TEXT NOT NULL,
                        payload TEXT NOT NULL, status TEXT NOT NULL, worker TEXT);
                    CREATE INDEX IF NOT EXISTS bare_claim ON bare (queue, status, seq);
                    """
            )
        }
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for p in 0..<producers {
                group.addTask {
                    for i in stride(from: p, to: tasks, by: producers) {
                        try await pool.write { db in
                            try db.execute(
                                sql: "INSERT INTO bare (id, queue, payload, status) VALUES (?, 'bench', '{\"n\":1}', 'pending')",
                                arguments: ["t\(i)"]
                            )
                        }
                    }
                }
            }
            for w in 0..<workers {
                group.addTask {
                    var done = 0
                    while true {
                        let claimed: Int64? = try await pool.write { db in
                            guard let seq = try Int64.fetchOne(db, sql: "SELECT seq FROM bare WHERE queue = 'bench' AND status = 'pending' ORDER BY seq LIMIT 1")
                            else { return nil }
                            try db.execute(sql: "UPDATE bare SET status = 'running', worker = ? WHERE seq = ?", arguments: ["w\(w)", seq])
                            return seq
                        }
                        guard let seq = claimed else {
                            let finished = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM bare WHERE status = 'completed'") ?? 0 }
                            if finished + done >= tasks || finished >= tasks { return }
                            try await Task.sleep(for: .milliseconds(1))
                            continue
                        }
                        try await pool.write { db in
                            try db.execute(sql: "UPDATE bare SET status = 'completed' WHERE seq = ?", arguments: [seq])
                        }
                        done += 1
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = clock.now - start
        try pool.close()
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
