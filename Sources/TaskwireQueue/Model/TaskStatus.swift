/// Where a task is in its life.
public enum TaskStatus: String, Sendable, Hashable, CaseIterable, Codable {
    /// Waiting to be claimed.
    case pending
    /// Claimed by a worker that holds its lease.
    case running
    /// Finished successfully.
    case completed
    /// Finished with an error, no retries left (or none asked for).
    case failed
    /// Cancelled before it finished.
    case cancelled

    /// Whether the task can change no more.
    public var isFinished: Bool {
        switch self {
        case .completed, .failed, .cancelled: true
        case .pending, .running: false
        }
    }
}
