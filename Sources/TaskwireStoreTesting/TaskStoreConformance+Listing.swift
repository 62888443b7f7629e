import TaskwireHub
import TaskwireQueue

extension TaskStoreConformance {
    /// `list` returns tasks newest first, filtered by status, queue or both, at most `limit`,
    /// with a cursor only when more tasks match.
    public func listIsNewestFirstWithFilters() async throws {
        let store = try await freshStore()
        let queues = ["a", "b", "c"]
        let statuses: [TaskStatus] = [.pending, .running, .completed, .pending, .failed, .cancelled]
        let tasks = (0..<12).map { i in
            Self.makeTask("l\(i)", queue: queues[i % 3], priority: i % 2, status: statuses[i % statuses.count], offset: i)
        }
        try await insert(tasks, into: store)
        let newestFirst = Array(tasks.reversed())

        let all = try await store.list(TaskListQuery())
        try expectEqual(all.tasks, newestFirst, "list with no filter")
        try expectEqual(all.nextCursor, nil, "cursor when every task fits")
        try expectEqual(try await store.list(TaskListQuery(limit: 12)).nextCursor, nil, "cursor when the tasks exactly fill the page")

        let first5 = try await store.list(TaskListQuery(limit: 5))
        try expectEqual(first5.tasks, Array(newestFirst.prefix(5)), "list with limit 5")
        try expect(first5.nextCursor != nil, "a cursor when more tasks match")

        for status in TaskStatus.allCases {
            let page = try await store.list(TaskListQuery(status: status))
            try expectEqual(page.tasks, newestFirst.filter { $0.status == status }, "list with status \(status)")
            try expectEqual(page.nextCursor, nil, "cursor of list with status \(status)")
        }
        for queue in queues {
            let page = try await store.list(TaskListQuery(queue: queue))
            try expectEqual(page.tasks, newestFirst.filter { $0.queue == queue }, "list of queue \(queue)")
        }
        let both = try await store.list(TaskListQuery(status: .pending, queue: "a"))
        try expectEqual(both.tasks, newestFirst.filter { $0.status == .pending && $0.queue == "a" }, "list with status and queue")

        let one = try await store.list(TaskListQuery(status: .running, limit: 1))
        try expectEqual(one.tasks, Array(newestFirst.filter { $0.status == .running }.prefix(1)), "first running task")
        try expect(one.nextCursor != nil, "a cursor when a second running task exists")

        let none = try await store.list(TaskListQuery(status: .pending, queue: "nowhere"))
        try expectEqual(none, TaskPage(tasks: [], nextCursor: nil), "list with filters that match nothing")
        let empty = try await freshStore().list(TaskListQuery())
        try expectEqual(empty, TaskPage(tasks: [], nextCursor: nil), "list of an empty store")
    }

    /// Following cursors returns every task that existed when paging began, exactly once, in
    /// order, although tasks are inserted and changed between pages.
    public func cursorPagingReturnsEveryTaskOnce() async throws {
        let store = try await freshStore()
        let tasks = (0..<25).map { i in Self.makeTask("p\(i)", queue: i % 2 == 0 ? "even" : "odd", offset: i) }
        try await insert(tasks, into: store)

        for (queue, expected) in [(nil, tasks), ("even", tasks.filter { $0.queue == "even" })] as [(String?, [TaskRecord])] {
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            var extra = 0
            repeat {
                let page = try await store.list(TaskListQuery(queue: queue, limit: 7, cursor: cursor))
                try expect(page.tasks.count <= 7, "a page holds at most limit tasks")
                seen += page.tasks.map(\.id)
                cursor = page.nextCursor
                pages += 1
                // Newer tasks arrive (in another queue, so that the second pass starts from the same tasks), and an already seen and a not yet seen task change status.
                for _ in 0..<3 {
                    extra += 1
                    let newer = Self.makeTask("new-\(queue ?? "all")-\(extra)", queue: "fresh", offset: 100 + extra)
                    try await store.insert(newer, onCommit: { _ in })
                }
                if let last = page.tasks.last {
                    _ = try await store.update(id: last.id, { $0.status = .cancelled }, onCommit: { _ in })
                }
                try expect(pages <= 10, "paging ends")
            } while cursor != nil
            let label = queue.map { "queue \($0)" } ?? "all tasks"
            try expectEqual(seen, expected.reversed().map(\.id), "ids seen paging through \(label)")
            try expectEqual(Set(seen).count, seen.count, "each task seen once paging through \(label)")
        }
    }

    /// A cursor the store did not make is `.invalid`; a well-formed cursor past the newest task
    /// starts at the newest, and the oldest task's cursor gives an empty last page.
    public func badCursorIsInvalid() async throws {
        let store = try await freshStore()
        let tasks = (0..<3).map { Self.makeTask("b\($0)", offset: $0) }
        try await insert(tasks, into: store)
        let bad = ["", "x12", "c", "c0", "c-5", "C10", "c!!", "c1 ", " c1", "c1.5", String(repeating: "z", count: 40)]
        for cursor in bad {
            try await expectError(.invalid, "list with cursor \"\(cursor)\"") {
                _ = try await store.list(TaskListQuery(cursor: cursor))
            }
        }
        let far = try await store.list(TaskListQuery(cursor: TaskCursor.encode(1_000_000)))
        try expectEqual(far.tasks, tasks.reversed(), "list from a cursor past the newest task")
        let firstPage = try await store.list(TaskListQuery(limit: 2))
        let rest = try await store.list(TaskListQuery(limit: 2, cursor: firstPage.nextCursor))
        try expectEqual(rest, TaskPage(tasks: [tasks[0]], nextCursor: nil), "the second page of three tasks by two")
    }
}
