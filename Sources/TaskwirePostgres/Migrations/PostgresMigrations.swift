/// The schema of ``PostgresTaskStore``, as versioned migrations.
///
/// A migration, once released, is never edited: a change of schema is a new migration appended
/// to ``all``. Each is a list of statements run in one transaction, recorded in
/// `taskwire_migrations` (see ``PostgresMigrator``).
///
/// Times are integer nanoseconds since the Unix epoch (`bigint`), exact like the SQLite store's;
/// `payload` and `result` are the JSON text exactly as received.
enum PostgresMigrations {
    struct Migration: Sendable {
        var version: Int
        var name: String
        var statements: [String]
    }

    /// Every migration, in order of version.
    static let all: [Migration] = [
        Migration(version: 1, name: "tasks", statements: tasks),
        Migration(version: 2, name: "task_events", statements: taskEvents),
        Migration(version: 3, name: "stream_events", statements: streamEvents),
        Migration(version: 4, name: "append_events", statements: appendEvents),
    ]

    /// `tasks`, its indexes, and `queue_counts` kept exact by a trigger.
    ///
    /// `seq` numbers tasks in insertion order and is never reused, so list cursors stay valid.
    private static let tasks = [
        """
        CREATE TABLE tasks (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id text NOT NULL UNIQUE,
            queue text NOT NULL,
            name text NOT NULL,
            payload text NOT NULL,
            priority bigint NOT NULL,
            status text NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
            progress double precision,
            message text,
            attempts bigint NOT NULL,
            max_attempts bigint NOT NULL,
            worker_id text,
            lease_expires_at bigint,
            result text,
            error text,
            created_at bigint NOT NULL,
            updated_at bigint NOT NULL
        )
        """,
        // Claiming: the first pending task of a queue by priority, then age.
        "CREATE INDEX tasks_claim ON tasks (queue, priority DESC, seq) WHERE status = 'pending'",
        // Listing newest first, by status or by queue.
        "CREATE INDEX tasks_status_seq ON tasks (status, seq DESC)",
        "CREATE INDEX tasks_queue_seq ON tasks (queue, seq DESC)",
        // The lease reaper: running tasks only.
        "CREATE INDEX tasks_running_lease ON tasks (lease_expires_at, seq) WHERE status = 'running'",
        """
        CREATE TABLE queue_counts (
            queue text NOT NULL,
            status text NOT NULL,
            count bigint NOT NULL CHECK (count >= 0),
            PRIMARY KEY (queue, status)
        )
        """,
        // Moves one count from (old queue, old status) to (new queue, new status). The two rows
        // are always locked in key order, so that concurrent transactions on several nodes
        // (a claim and a requeue of the same queue, say) cannot deadlock on them.
        """
        CREATE FUNCTION taskwire_count_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            old_first boolean;
        BEGIN
            IF TG_OP = 'INSERT' THEN
                INSERT INTO queue_counts (queue, status, count) VALUES (NEW.queue, NEW.status, 1)
                    ON CONFLICT (queue, status) DO UPDATE SET count = queue_counts.count + 1;
                RETURN NULL;
            END IF;
            IF TG_OP = 'DELETE' THEN
                UPDATE queue_counts SET count = count - 1 WHERE queue = OLD.queue AND status = OLD.status;
                RETURN NULL;
            END IF;
            IF OLD.queue = NEW.queue AND OLD.status = NEW.status THEN
                RETURN NULL;
            END IF;
            old_first := (OLD.queue, OLD.status) < (NEW.queue, NEW.status);
            IF old_first THEN
                UPDATE queue_counts SET count = count - 1 WHERE queue = OLD.queue AND status = OLD.status;
            END IF;
            INSERT INTO queue_counts (queue, status, count) VALUES (NEW.queue, NEW.status, 1)
                ON CONFLICT (queue, status) DO UPDATE SET count = queue_counts.count + 1;
            IF NOT old_first THEN
                UPDATE queue_counts SET count = count - 1 WHERE queue = OLD.queue AND status = OLD.status;
            END IF;
            RETURN NULL;
        END
        $$
        """,
        """
        CREATE TRIGGER tasks_count AFTER INSERT OR DELETE OR UPDATE OF queue, status ON tasks
            FOR EACH ROW EXECUTE FUNCTION taskwire_count_tasks()
        """,
    ]

    /// Each task's event history (`task_events`), its count in `tasks.event_seq`, and the
    /// database's event epoch in `taskwire_meta`, made here once per database (or schema).
    private static let taskEvents = [
        "ALTER TABLE tasks ADD COLUMN event_seq bigint NOT NULL DEFAULT 0",
        """
        CREATE TABLE task_events (
            task_id text NOT NULL,
            seq bigint NOT NULL CHECK (seq > 0),
            event_type text NOT NULL,
            body text NOT NULL,
            created_at bigint NOT NULL,
            PRIMARY KEY (task_id, seq)
        )
        """,
        """
        CREATE TABLE taskwire_meta (
            key text PRIMARY KEY,
            value text NOT NULL
        )
        """,
        """
        INSERT INTO taskwire_meta (key, value)
            VALUES ('event_epoch', 'p' || substr(md5(random()::text || clock_timestamp()::text), 1, 16))
        """,
    ]

    /// The cluster's event log (see ``PostgresStreamLog``): `stream_events`, numbered per stream
    /// in `stream_heads`, with ids from the single row of `stream_log_head`.
    ///
    /// `taskwire_append_event` takes the id first: the row lock on `stream_log_head` is held to
    /// the end of the transaction, so ids are gapless and committed in increasing order, and a
    /// reader that saw id N has seen every id before it. It then numbers the stream (its
    /// `stream_heads` row, locked likewise), writes the event, and notifies `taskwire_events`
    /// with the id (delivered at commit; the body is read from the table).
    private static let streamEvents = [
        """
        CREATE TABLE stream_heads (
            stream text PRIMARY KEY,
            last_seq bigint NOT NULL
        )
        """,
        """
        CREATE TABLE stream_events (
            id bigint PRIMARY KEY,
            stream text NOT NULL,
            seq bigint NOT NULL CHECK (seq > 0),
            body text NOT NULL,
            coalescing_key text,
            created_at bigint NOT NULL,
            UNIQUE (stream, seq)
        )
        """,
        "CREATE INDEX stream_events_created_at ON stream_events (created_at)",
        """
        CREATE TABLE stream_log_head (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            last_id bigint NOT NULL
        )
        """,
        "INSERT INTO stream_log_head (singleton, last_id) VALUES (true, 0)",
        """
        CREATE FUNCTION taskwire_append_event(
            p_stream text, p_body text, p_key text, p_created_at bigint, OUT out_id bigint, OUT out_seq bigint
        ) LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE stream_log_head SET last_id = last_id + 1 RETURNING last_id INTO out_id;
            INSERT INTO stream_heads AS h (stream, last_seq) VALUES (p_stream, 1)
                ON CONFLICT (stream) DO UPDATE SET last_seq = h.last_seq + 1
                RETURNING h.last_seq INTO out_seq;
            INSERT INTO stream_events (id, stream, seq, body, coalescing_key, created_at)
                VALUES (out_id, p_stream, out_seq, p_body, p_key, p_created_at);
            PERFORM pg_notify('taskwire_events', out_id::text);
        END
        $$
        """,
    ]

    /// `taskwire_append_events`: appends a batch in one call, replacing `taskwire_append_event`.
    ///
    /// Element `i` of the arrays is one event: its stream, body, coalescing key (`''` for none),
    /// seq (`0`: the stream's next; else the seq the caller numbered, for `task:<id>` streams
    /// numbered by the task store) and whether it is a state to drop when it equals the stream's
    /// last body (`queue_status_changed`). One row comes back per element, in order: its id and
    /// seq, or nulls when it was dropped. The log lock (the `stream_log_head` row) is taken
    /// first and held to the end of the transaction, as before; one notification carries the
    /// last id.
    private static let appendEvents = [
        """
        CREATE FUNCTION taskwire_append_events(
            p_streams text[], p_bodies text[], p_keys text[], p_seqs bigint[], p_states boolean[], p_created_at bigint
        ) RETURNS TABLE (out_id bigint, out_seq bigint) LANGUAGE plpgsql AS $$
        DECLARE
            i integer;
            v_id bigint;
            v_seq bigint;
            v_last text;
            v_appended boolean := false;
        BEGIN
            PERFORM 1 FROM stream_log_head FOR UPDATE;
            FOR i IN 1 .. coalesce(array_length(p_streams, 1), 0) LOOP
                IF p_states[i] THEN
                    SELECT body INTO v_last FROM stream_events WHERE stream = p_streams[i] ORDER BY seq DESC LIMIT 1;
                    IF FOUND AND v_last = p_bodies[i] THEN
                        out_id := NULL;
                        out_seq := NULL;
                        RETURN NEXT;
                        CONTINUE;
                    END IF;
                END IF;
                UPDATE stream_log_head SET last_id = last_id + 1 RETURNING last_id INTO v_id;
                IF p_seqs[i] > 0 THEN
                    v_seq := p_seqs[i];
                    INSERT INTO stream_heads AS h (stream, last_seq) VALUES (p_streams[i], v_seq)
                        ON CONFLICT (stream) DO UPDATE SET last_seq = greatest(h.last_seq, excluded.last_seq);
                ELSE
                    INSERT INTO stream_heads AS h (stream, last_seq) VALUES (p_streams[i], 1)
                        ON CONFLICT (stream) DO UPDATE SET last_seq = h.last_seq + 1
                        RETURNING h.last_seq INTO v_seq;
                END IF;
                INSERT INTO stream_events (id, stream, seq, body, coalescing_key, created_at)
                    VALUES (v_id, p_streams[i], v_seq, p_bodies[i], nullif(p_keys[i], ''), p_created_at);
                v_appended := true;
                out_id := v_id;
                out_seq := v_seq;
                RETURN NEXT;
            END LOOP;
            IF v_appended THEN
                PERFORM pg_notify('taskwire_events', v_id::text);
            END IF;
        END
        $$
        """,
        "DROP FUNCTION taskwire_append_event(text, text, text, bigint)",
    ]
}
