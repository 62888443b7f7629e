/// How ``SQLiteTaskStore`` opens its database.
///
/// ```swift
/// var configuration = SQLiteStoreConfiguration()
/// configuration.busyTimeout = .seconds(10)
/// let store = try SQLiteTaskStore(path: "/var/lib/taskwire/tasks.sqlite", configuration: configuration, logger: logger)
/// ```
public struct SQLiteStoreConfiguration: Sendable, Equatable {
    /// When SQLite waits for the disk (`PRAGMA synchronous`), in WAL mode.
    ///
    /// - ``full`` (the default): every commit syncs the write-ahead log before it returns, so a
    ///   task answered `201` survives `kill -9`, an OS crash and a power loss.
    /// - ``normal``: commits sync only at checkpoints. A commit survives `kill -9` (the OS still
    ///   has the pages) but the last ones may be lost on power loss or an OS crash. Faster.
    /// - ``extra``: as ``full``, and also syncs the directory after the log is reset.
    public struct Synchronous: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String { case normal = "NORMAL", full = "FULL", extra = "EXTRA" }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// Sync at checkpoints only: durable across process crashes, not power loss.
        public static let normal = Synchronous(.normal)
        /// Sync the log on every commit: durable across power loss. The default.
        public static let full = Synchronous(.full)
        /// As ``full``, plus a directory sync when the log is reset.
        public static let extra = Synchronous(.extra)

        /// The `PRAGMA synchronous` value.
        public var description: String { value.rawValue }

        /// The number SQLite reports for this level from `PRAGMA synchronous`.
        public var pragmaNumber: Int {
            switch value {
            case .normal: 1
            case .full: 2
            case .extra: 3
            }
        }
    }

    /// When a commit is durable; ``Synchronous/full`` by default (see there).
    public var synchronous: Synchronous
    /// How long a connection waits for a lock held by another connection (another process on
    /// the same file, a checkpoint) before the operation fails as unavailable.
    public var busyTimeout: Duration
    /// Most connections reading at once, beside the one writer.
    public var maximumReaderCount: Int

    /// - Parameters:
    ///   - synchronous: when a commit is durable.
    ///   - busyTimeout: how long to wait for a lock.
    ///   - maximumReaderCount: most concurrent readers.
    public init(synchronous: Synchronous = .full, busyTimeout: Duration = .seconds(5), maximumReaderCount: Int = 4) {
        precondition(maximumReaderCount >= 1, "a store needs at least one reader")
        self.synchronous = synchronous
        self.busyTimeout = busyTimeout
        self.maximumReaderCount = maximumReaderCount
    }
}
