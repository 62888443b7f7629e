public import Hummingbird
public import Prometheus
public import TaskwireHub
public import TaskwireQueue

/// Taskwire's HTTP API: the task queue, admin, publish, metrics and health routes, the OpenAPI
/// document, and the live dashboard.
///
/// ```swift
/// let router = Router(context: TaskwireRequestContext.self, options: .autoGenerateHeadEndpoints)
/// TaskwireAPI(hub: hub, registry: registry, maxBodySize: 2 << 20, tasks: service).addRoutes(to: router)
/// ```
///
/// | route | answer |
/// |---|---|
/// | `POST /api/v1/tasks`, `GET /api/v1/tasks[/{id}]`, `POST /api/v1/tasks/{id}/cancel\|retry` | tasks (with `tasks`) |
/// | `POST /api/v1/queues/{queue}/claim`, `POST /api/v1/tasks/{id}/progress\|heartbeat\|complete\|fail` | workers (with `tasks`) |
/// | `GET /api/v1/queue/status`, `POST /api/v1/notifications` | counts; 202 (with `tasks`) |
/// | `GET /api/v1/openapi.json` | the OpenAPI 3.1 document of all of these |
/// | `POST /api/v1/publish` | `{"delivered":N}`; custom streams only (403 otherwise) |
/// | `GET /api/v1/connections` | `{"connections":[…]}` |
/// | `DELETE /api/v1/connections/{client_id}` | 204, closed with 1008; 404 when unknown |
/// | `GET /api/v1/metrics` | the hub's metrics as JSON |
/// | `GET /metrics` | Prometheus text from `registry` |
/// | `GET /healthz`, `GET /readyz` | 200 `{"status":"ok"}`; `/readyz` 503 naming the failing check |
/// | `GET /`, `GET /dashboard/{file}`, `GET /taskwire-client.js` | the dashboard and its JavaScript client module |
///
/// Every error, Hummingbird's own included (no route, wrong method, body too large), is
/// answered with `{"error":{"code":"…","message":"…"}}`.
public struct TaskwireAPI: Sendable {
    /// The hub the API reports on and publishes to.
    public var hub: Hub
    /// The registry `/metrics` serves.
    public var registry: PrometheusCollectorRegistry
    /// What `/readyz` checks, in order; the first that fails is named in the 503.
    public var readinessChecks: [ReadinessCheck]
    /// Largest request body accepted, in bytes; larger ones get 413.
    public var maxBodySize: Int
    /// The task queue behind the task, worker, queue status and notification routes; nil leaves them out.
    public var tasks: TaskService?
    /// Checks credentials against each route's rights; nil leaves every route open.
    public var authenticator: (any ClientAuthenticator)?

    /// Creates the API.
    public init(
        hub: Hub,
        registry: PrometheusCollectorRegistry,
        readinessChecks: [ReadinessCheck] = [],
        maxBodySize: Int,
        tasks: TaskService? = nil,
        authenticator: (any ClientAuthenticator)? = nil
    ) {
        self.authenticator = authenticator
        self.hub = hub
        self.registry = registry
        self.readinessChecks = readinessChecks
        self.maxBodySize = maxBodySize
        self.tasks = tasks
    }

    /// Adds the error middleware and every route. Call it on a fresh router, before other
    /// routes, so that the middleware covers them too.
    public func addRoutes(to router: Router<TaskwireRequestContext>) {
        router.add(middleware: APIErrorMiddleware())
        if let authenticator { router.add(middleware: AuthMiddleware(authenticator: authenticator)) }
        HealthController(checks: readinessChecks).addRoutes(to: router)
        PrometheusController(registry: registry).addRoutes(to: router)
        DashboardController().addRoutes(to: router)
        let api = router.group("api/v1")
        PublishController(hub: hub, maxBodySize: maxBodySize).addRoutes(to: api)
        ConnectionsController(hub: hub).addRoutes(to: api)
        MetricsController(hub: hub).addRoutes(to: api)
        OpenAPIController().addRoutes(to: api)
        if let tasks {
            TasksController(service: tasks, maxBodySize: maxBodySize).addRoutes(to: api)
            WorkerController(service: tasks, maxBodySize: maxBodySize).addRoutes(to: api)
            QueueStatusController(service: tasks).addRoutes(to: api)
            NotificationsController(service: tasks, maxBodySize: maxBodySize).addRoutes(to: api)
        }
    }
}
