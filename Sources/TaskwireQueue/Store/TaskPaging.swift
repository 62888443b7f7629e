public import TaskwireHub

// What the durable stores share of listing and counting, whatever their SQL: tasks are
// numbered in insertion order (`seq`), a page is read newest first with one row more than asked
// for, and counts are kept per queue and status.

extension TaskListQuery {
    /// The insertion `seq` the page starts below: `Int64.max` without a cursor.
    /// - Throws: ``TaskQueueError`` `.invalid` for a cursor that ``TaskCursor`` did not make.
    public func seqBelow() throws -> Int64 {
        guard let cursor else { return .max }
        guard let seq = TaskCursor.decode(cursor) else { throw TaskQueueError(.invalid, "cursor is not one this server made") }
        return Int64(seq)
    }

    /// How many rows a store reads for this page: one more than the limit, which tells whether
    /// a next page exists.
    public var rowsToRead: Int { max(limit, 0) + 1 }
}

extension TaskPage {
    /// The page made of `rows` (tasks and their insertion `seq`, newest first, as many as
    /// ``TaskListQuery/rowsToRead``): the first `limit`, and a cursor when there were more.
    public init(rows: [(task: TaskRecord, seq: Int64)], limit: Int) {
        let page = rows.prefix(max(limit, 0))
        let next = rows.count > page.count ? page.last.map { TaskCursor.encode(Int($0.seq)) } : nil
        self.init(tasks: page.map(\.task), nextCursor: next)
    }
}

extension QueueCounts {
    /// Adds `count` tasks of `queue` in `status` (a stored status text; an unknown one is ignored).
    public mutating func add(_ count: Int, queue: String, status statusText: String) {
        guard let status = TaskStatus(rawValue: statusText) else { return }
        all[status] += count
        byQueue[queue, default: TaskCounts()][status] += count
    }
}
