public import TaskwireHub

/// The rules of every task transition, applied inside a store's atomic update.
///
/// Each function changes a record in place or throws ``TaskQueueError`` (`.conflict`) when the
/// transition is not allowed; a store writes nothing then.
public enum TaskTransitions {
    /// A worker takes a pending task for `lease`.
    public static func claim(_ task: inout TaskRecord, workerID: String, lease: Duration, now: Timestamp) {
        task.status = .running
        task.attempts += 1
        task.workerID = workerID
        task.leaseExpiresAt = now + lease
        task.progress = nil
        task.message = nil
        task.updatedAt = now
    }

    /// A worker reports progress.
    public static func progress(
        _ task: inout TaskRecord,
        workerID: String,
        progress: Double?,
        message: String?,
        now: Timestamp
    ) throws(TaskQueueError) {
        try requireHeld(task, by: workerID, now: now)
        if let progress { task.progress = progress }
        if let message { task.message = message }
        task.updatedAt = now
    }

    /// A worker renews its lease.
    public static func heartbeat(_ task: inout TaskRecord, workerID: String, lease: Duration, now: Timestamp) throws(TaskQueueError) {
        try requireHeld(task, by: workerID, now: now)
        task.leaseExpiresAt = now + lease
        task.updatedAt = now
    }

    /// A worker finishes the task successfully.
    public static func complete(_ task: inout TaskRecord, workerID: String, result: String, now: Timestamp) throws(TaskQueueError) {
        try requireHeld(task, by: workerID, now: now)
        task.status = .completed
        task.progress = 1
        task.result = result
        task.error = nil
        task.leaseExpiresAt = nil
        task.updatedAt = now
    }

    /// A worker gives up on the task: pending again while attempts remain and `retry` is set, else failed.
    public static func fail(_ task: inout TaskRecord, workerID: String, error: String, retry: Bool, now: Timestamp) throws(TaskQueueError) {
        try requireHeld(task, by: workerID, now: now)
        task.error = error
        task.leaseExpiresAt = nil
        task.updatedAt = now
        if retry && task.attempts < task.maxAttempts {
            task.status = .pending
            task.workerID = nil
            task.message = "retrying after error"
        } else {
            task.status = .failed
        }
    }

    /// Cancels a pending or running task.
    public static func cancel(_ task: inout TaskRecord, now: Timestamp) throws(TaskQueueError) {
        guard task.status == .pending || task.status == .running else {
            throw TaskQueueError(.conflict, "task \"\(task.id)\" is \(task.status.rawValue) and can no longer be cancelled")
        }
        task.status = .cancelled
        task.leaseExpiresAt = nil
        task.updatedAt = now
    }

    /// Puts a failed or cancelled task back to pending with all of its attempts again: the
    /// error, worker, lease, progress and result of its earlier runs are cleared. It keeps its
    /// place in the queue (its creation order).
    public static func retry(_ task: inout TaskRecord, now: Timestamp) throws(TaskQueueError) {
        guard task.status == .failed || task.status == .cancelled else {
            throw TaskQueueError(
                .conflict,
                "task \"\(task.id)\" is \(task.status.rawValue); only failed or cancelled tasks can be retried"
            )
        }
        task.status = .pending
        task.attempts = 0
        task.progress = nil
        task.message = "retried"
        task.error = nil
        task.result = nil
        task.workerID = nil
        task.leaseExpiresAt = nil
        task.updatedAt = now
    }

    /// A lease ran out: pending again while attempts remain, else failed.
    public static func expireLease(_ task: inout TaskRecord, now: Timestamp) {
        task.leaseExpiresAt = nil
        task.workerID = nil
        task.updatedAt = now
        if task.attempts < task.maxAttempts {
            task.status = .pending
            task.message = "lease expired"
        } else {
            task.status = .failed
            task.error = "lease expired"
            task.message = "lease expired"
        }
    }

    /// Checks that `workerID` holds a live lease on the task.
    static func requireHeld(_ task: TaskRecord, by workerID: String, now: Timestamp) throws(TaskQueueError) {
        guard task.status == .running else {
            throw TaskQueueError(.conflict, "task \"\(task.id)\" is \(task.status.rawValue), not running")
        }
        guard task.workerID == workerID else {
            throw TaskQueueError(.conflict, "task \"\(task.id)\" is held by another worker")
        }
        guard let lease = task.leaseExpiresAt, lease > now else {
            throw TaskQueueError(.conflict, "the lease on task \"\(task.id)\" has expired")
        }
    }
}
