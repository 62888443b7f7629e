import HTTPTypes
import TaskwireTesting

/// An HTTP route whose JSON body is fuzzed: where it is, valid bodies to start from, and the
/// answers it documents.
struct FuzzedEndpoint: Sendable {
    /// The routes with a JSON body.
    enum Route: String, Sendable {
        case create, claim, progress, heartbeat, complete, fail, notifications, publish
    }

    var route: Route
    /// The path; `{id}` stands for a task that is running, held by worker `w1`.
    var path: String
    /// Valid bodies: each must be accepted.
    var templates: [FuzzTemplate]
    /// The statuses that accept a body.
    var accepted: Set<HTTPResponse.Status>
    /// The refusals the route documents besides 400 `bad_request` and 413 `payload_too_large`.
    var refusals: Set<HTTPResponse.Status> = []
    /// Whether an accepted body ends the task's run, so that the next input needs a fresh task.
    var finishesTask = false

    var needsTask: Bool { path.contains("{id}") }

    /// The `error.code` of each refusal (PROTOCOL.md's HTTP API).
    static let codes: [HTTPResponse.Status: String] = [
        .badRequest: "bad_request", .forbidden: "forbidden", .notFound: "not_found", .conflict: "conflict",
        .contentTooLarge: "payload_too_large",
    ]

    /// Every route with a JSON body.
    static let all: [FuzzedEndpoint] = [
        FuzzedEndpoint(
            route: .create,
            path: "/api/v1/tasks",
            templates: [
                FuzzTemplate([
                    "queue": #""default""#, "name": #""resize""#, "payload": #"{"w":640,"tags":["a","é"],"x":null}"#,
                    "priority": "5", "max_attempts": "3",
                ]),
                FuzzTemplate(["name": #""job""#, "payload": "1e999999", "priority": "-2147483648"]),
            ],
            accepted: [.created]
        ),
        FuzzedEndpoint(
            route: .claim,
            path: "/api/v1/queues/default/claim",
            templates: [FuzzTemplate(["worker_id": #""w9""#, "lease_seconds": "30"]), FuzzTemplate(["worker_id": #""w9""#])],
            accepted: [.ok, .noContent]
        ),
        FuzzedEndpoint(
            route: .progress,
            path: "/api/v1/tasks/{id}/progress",
            templates: [
                FuzzTemplate(["worker_id": #""w1""#, "progress": "0.5", "message": #""half way""#]),
                FuzzTemplate(["worker_id": #""w1""#, "progress": "1", "message": "null"]),
            ],
            accepted: [.ok],
            refusals: [.conflict]
        ),
        FuzzedEndpoint(
            route: .heartbeat,
            path: "/api/v1/tasks/{id}/heartbeat",
            templates: [FuzzTemplate(["worker_id": #""w1""#, "lease_seconds": "3600"])],
            accepted: [.ok],
            refusals: [.conflict]
        ),
        FuzzedEndpoint(
            route: .complete,
            path: "/api/v1/tasks/{id}/complete",
            templates: [FuzzTemplate(["worker_id": #""w1""#, "result": #"{"ok":true,"n":[1,2.5]}"#])],
            accepted: [.ok],
            refusals: [.conflict],
            finishesTask: true
        ),
        FuzzedEndpoint(
            route: .fail,
            path: "/api/v1/tasks/{id}/fail",
            templates: [FuzzTemplate(["worker_id": #""w1""#, "error": #""boom""#, "retry": "true"])],
            accepted: [.ok],
            refusals: [.conflict],
            finishesTask: true
        ),
        FuzzedEndpoint(
            route: .notifications,
            path: "/api/v1/notifications",
            templates: [
                FuzzTemplate(["level": #""info""#, "title": #""deploy""#, "message": #""done""#, "user_id": "null"]),
                FuzzTemplate(["level": #""warning""#, "title": #""quota""#, "user_id": #""u1""#]),
            ],
            accepted: [.accepted]
        ),
        FuzzedEndpoint(
            route: .publish,
            path: "/api/v1/publish",
            templates: [FuzzTemplate(["event_type": #""chat.room-1""#, "data": #"{"text":"hi","n":-0}"#])],
            accepted: [.ok],
            refusals: [.forbidden]
        ),
    ]
}
