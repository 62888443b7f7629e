import NIOCore
import TaskwireHub
import TaskwireProtocol
import TaskwireQueue

/// The JSON the task API answers with: a task, a page of tasks, the queue counts.
///
/// A task has exactly PROTOCOL.md's fields, in its order; `payload` and `result` are written as
/// the JSON text the clients sent, unchanged; times are RFC 3339 in UTC.
enum TaskJSON {
    /// One task as its own document.
    static func task(_ task: TaskRecord) -> ByteBuffer {
        var json = ByteBuffer()
        json.reserveCapacity(384 + task.payload.utf8.count + (task.result?.utf8.count ?? 0))
        write(task, into: &json)
        return json
    }

    /// `{"tasks":[…],"next_cursor":…}`.
    static func page(_ page: TaskPage) -> ByteBuffer {
        var json = ByteBuffer()
        json.reserveCapacity(64 + page.tasks.count * 400)
        json.writeStaticString(#"{"tasks":["#)
        for (index, task) in page.tasks.enumerated() {
            if index > 0 { json.writeStaticString(",") }
            write(task, into: &json)
        }
        json.writeStaticString(#"],"next_cursor":"#)
        json.writeJSONString(orNull: page.nextCursor)
        json.writeStaticString("}")
        return json
    }

    /// `{"task_id","epoch","events":[…],"next_after"}`: each event is the stored `task_update`
    /// message with its `event_type` (the well-known stream), `seq` and time `at`; `next_after` is
    /// the seq to page on from, null when the page was not full.
    static func events(taskID: String, epoch: String, events: [TaskEventRecord], limit: Int) -> ByteBuffer {
        var json = ByteBuffer()
        json.reserveCapacity(64 + events.count * 200)
        json.writeStaticString(#"{"task_id":"#)
        json.writeJSONString(taskID)
        json.writeStaticString(#","epoch":"#)
        json.writeJSONString(epoch)
        json.writeStaticString(#","events":["#)
        for (index, event) in events.enumerated() {
            if index > 0 { json.writeStaticString(",") }
            json.writeString(event.body)
            json.writeStaticString(#","event_type":"#)
            json.writeJSONString(event.eventType)
            json.writeStaticString(#","seq":"#)
            json.writeJSONInteger(event.seq)
            json.writeStaticString(#","at":"#)
            json.writeJSONString(event.createdAt.rfc3339)
            json.writeStaticString("}")
        }
        json.writeStaticString(#"],"next_after":"#)
        if events.count == limit, let last = events.last { json.writeJSONInteger(last.seq) } else { json.writeStaticString("null") }
        json.writeStaticString("}")
        return json
    }

    /// The `queue_status` counts over all queues, and the same per queue in `queues`.
    static func counts(_ counts: QueueCounts) -> ByteBuffer {
        var json = ByteBuffer()
        json.writeStaticString("{")
        let all = counts.all
        ServerMessage.writeTaskCountFields(
            total: all.total,
            pending: all.pending,
            running: all.running,
            completed: all.completed,
            failed: all.failed,
            cancelled: all.cancelled,
            into: &json
        )
        json.writeStaticString(#","queues":{"#)
        for (index, name) in counts.byQueue.keys.sorted().enumerated() {
            if index > 0 { json.writeStaticString(",") }
            json.writeJSONString(name)
            json.writeStaticString(":")
            QueueStatusPublisher.writeCounts(counts.byQueue[name]!, into: &json)
        }
        json.writeStaticString("}}")
        return json
    }

    /// Writes one task object.
    static func write(_ task: TaskRecord, into json: inout ByteBuffer) {
        json.writeStaticString(#"{"id":"#)
        json.writeJSONString(task.id)
        json.writeStaticString(#","queue":"#)
        json.writeJSONString(task.queue)
        json.writeStaticString(#","name":"#)
        json.writeJSONString(task.name)
        json.writeStaticString(#","payload":"#)
        json.writeString(task.payload)
        json.writeStaticString(#","priority":"#)
        json.writeJSONInteger(task.priority)
        json.writeStaticString(#","status":"#)
        json.writeJSONString(task.status.rawValue)
        json.writeStaticString(#","progress":"#)
        if let progress = task.progress { json.writeJSONNumber(progress) } else { json.writeStaticString("null") }
        json.writeStaticString(#","message":"#)
        json.writeJSONString(orNull: task.message)
        json.writeStaticString(#","attempts":"#)
        json.writeJSONInteger(task.attempts)
        json.writeStaticString(#","max_attempts":"#)
        json.writeJSONInteger(task.maxAttempts)
        json.writeStaticString(#","worker_id":"#)
        json.writeJSONString(orNull: task.workerID)
        json.writeStaticString(#","lease_expires_at":"#)
        json.writeJSONString(orNull: task.leaseExpiresAt?.rfc3339)
        json.writeStaticString(#","result":"#)
        if let result = task.result { json.writeString(result) } else { json.writeStaticString("null") }
        json.writeStaticString(#","error":"#)
        json.writeJSONString(orNull: task.error)
        json.writeStaticString(#","created_at":"#)
        json.writeJSONString(task.createdAt.rfc3339)
        json.writeStaticString(#","updated_at":"#)
        json.writeJSONString(task.updatedAt.rfc3339)
        json.writeStaticString("}")
    }
}
