import GRDB
import Synchronization
import TaskwireQueue

/// Group commit: writes that arrive while another transaction is committing wait for it, then
/// go together in the next `BEGIN IMMEDIATE` transaction, each inside a savepoint of its own, so
/// that one commit (one fsync) makes them all durable.
///
/// Each write still succeeds or fails alone: a write that throws rolls back its savepoint, and
/// its caller gets its error; the others commit. Every caller returns only after the commit, so
/// a write is durable once it returns, as before. Commit reports (`onCommit`) are called after
/// the commit, in the order the writes ran, while the writer is still held, so they keep commit
/// order across batches too.
final class GroupCommit: Sendable {
    /// One write waiting for its batch.
    struct Write: Sendable {
        var operation: String
        /// Runs the write in its savepoint; keeps its own result, returns its changes.
        var body: @Sendable (Database) throws -> [TaskChange]
        var onCommit: CommitObserver
        /// Resumes the caller: nil after a commit, else the error.
        var finish: @Sendable ((any Error)?) -> Void
    }

    /// Most writes in one transaction.
    static let maximumBatch = 256

    private let pool: DatabasePool
    private let mapError: @Sendable (DatabaseError, String) -> any Error
    private let queue = Mutex<(writes: [Write], draining: Bool)>(([], false))

    init(pool: DatabasePool, mapError: @escaping @Sendable (DatabaseError, String) -> any Error) {
        self.pool = pool
        self.mapError = mapError
    }

    /// Queues `write`; the first write to find no batch running starts draining the queue.
    func submit(_ write: Write) {
        let start = queue.withLock { queue in
            queue.writes.append(write)
            guard !queue.draining else { return false }
            queue.draining = true
            return true
        }
        if start { Task { await self.drain() } }
    }

    private func drain() async {
        while true {
            let batch = queue.withLock { queue -> [Write] in
                let batch = Array(queue.writes.prefix(Self.maximumBatch))
                queue.writes.removeFirst(batch.count)
                if batch.isEmpty { queue.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            await commit(batch)
        }
    }

    /// Runs `batch` in one transaction and finishes every write of it.
    private func commit(_ batch: [Write]) async {
        var failures: [(any Error)?] = Array(repeating: nil, count: batch.count)
        do {
            failures = try await pool.writeWithoutTransaction { db in
                var failures: [(any Error)?] = Array(repeating: nil, count: batch.count)
                var changes: [[TaskChange]] = Array(repeating: [], count: batch.count)
                try db.inTransaction(.immediate) {
                    for (i, write) in batch.enumerated() {
                        do {
                            try db.inSavepoint {
                                changes[i] = try write.body(db)
                                return .commit
                            }
                        } catch let error as DatabaseError {
                            failures[i] = self.mapError(error, write.operation)
                        } catch {
                            failures[i] = error
                        }
                    }
                    return .commit
                }
                for (i, write) in batch.enumerated() where failures[i] == nil && !changes[i].isEmpty {
                    write.onCommit(changes[i])
                }
                return failures
            }
        } catch {
            // The transaction itself failed (begin or commit): nothing of the batch was written.
            for i in batch.indices {
                failures[i] = (error as? DatabaseError).map { mapError($0, batch[i].operation) } ?? error
            }
        }
        for (write, failure) in zip(batch, failures) { write.finish(failure) }
    }
}
