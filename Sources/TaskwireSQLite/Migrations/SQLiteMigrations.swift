import GRDB

/// The schema of ``SQLiteTaskStore``, as versioned migrations.
///
/// A migration, once released, is never edited: a change of schema is a new migration
/// appended to ``migrator``. GRDB records the applied ones in `grdb_migrations`, so applying
/// them again is a no-op.
enum SQLiteMigrations {
    /// Every migration, in order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1_tasks", migrate: createTasks)
        migrator.registerMigration("v2_task_events", migrate: createTaskEvents)
        return migrator
    }

    /// The identifiers of every migration, in order.
    static var identifiers: [String] { migrator.migrations }

    /// `tasks`, its indexes, and `queue_counts` kept exact by triggers.
    ///
    /// - `seq` numbers tasks in insertion order (AUTOINCREMENT: never reused, even after a
    ///   delete), so list cursors stay valid.
    /// - Timestamps are integer nanoseconds since the Unix epoch.
    /// - `payload` and `result` are the JSON text exactly as received (STRICT tables keep TEXT as
    ///   TEXT and INTEGER as INTEGER, with no type affinity conversions).
    private static func createTasks(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE tasks (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    queue TEXT NOT NULL,
                    name TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    priority INTEGER NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
                    progress REAL,
                    message TEXT,
                    attempts INTEGER NOT NULL,
                    max_attempts INTEGER NOT NULL,
                    worker_id TEXT,
                    lease_expires_at INTEGER,
                    result TEXT,
                    error TEXT,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL
                ) STRICT;

                -- Claiming: the first pending task of a queue by priority, then age.
                CREATE INDEX tasks_claim ON tasks (queue, status, priority DESC, seq);
                -- Listing newest first, by status or by queue.
                CREATE INDEX tasks_status_seq ON tasks (status, seq DESC);
                CREATE INDEX tasks_queue_seq ON tasks (queue, seq DESC);
                -- The lease reaper: running tasks only.
                CREATE INDEX tasks_running_lease ON tasks (lease_expires_at) WHERE status = 'running';

                -- Task counts per queue and status, so counts() never scans tasks.
                CREATE TABLE queue_counts (
                    queue TEXT NOT NULL,
                    status TEXT NOT NULL,
                    count INTEGER NOT NULL CHECK (count >= 0),
                    PRIMARY KEY (queue, status)
                ) STRICT, WITHOUT ROWID;

                CREATE TRIGGER tasks_count_insert AFTER INSERT ON tasks
                BEGIN
                    INSERT INTO queue_counts (queue, status, count) VALUES (NEW.queue, NEW.status, 1)
                        ON CONFLICT (queue, status) DO UPDATE SET count = count + 1;
                END;

                CREATE TRIGGER tasks_count_delete AFTER DELETE ON tasks
                BEGIN
                    UPDATE queue_counts SET count = count - 1 WHERE queue = OLD.queue AND status = OLD.status;
                END;

                CREATE TRIGGER tasks_count_update AFTER UPDATE OF queue, status ON tasks
                WHEN OLD.queue IS NOT NEW.queue OR OLD.status IS NOT NEW.status
                BEGIN
                    UPDATE queue_counts SET count = count - 1 WHERE queue = OLD.queue AND status = OLD.status;
                    INSERT INTO queue_counts (queue, status, count) VALUES (NEW.queue, NEW.status, 1)
                        ON CONFLICT (queue, status) DO UPDATE SET count = count + 1;
                END;
                """
        )
    }

    /// Each task's event history (`task_events`), its count in `tasks.event_seq`, and the
    /// database's event epoch in `taskwire_meta`.
    ///
    /// The epoch is made here, once per database, so event numbers stay valid across restarts.
    /// Tasks written before this migration start their history at their next event.
    private static func createTaskEvents(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE tasks ADD COLUMN event_seq INTEGER NOT NULL DEFAULT 0;

                CREATE TABLE task_events (
                    task_id TEXT NOT NULL,
                    seq INTEGER NOT NULL CHECK (seq > 0),
                    event_type TEXT NOT NULL,
                    body TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (task_id, seq)
                ) STRICT, WITHOUT ROWID;

                CREATE TABLE taskwire_meta (
                    key TEXT PRIMARY KEY,
                    value TEXT NOT NULL
                ) STRICT, WITHOUT ROWID;

                INSERT INTO taskwire_meta (key, value) VALUES ('event_epoch', 's' || lower(hex(randomblob(8))));
                """
        )
    }
}
