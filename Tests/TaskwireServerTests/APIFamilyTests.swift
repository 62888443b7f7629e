import HTTPTypes
import TaskwireHTTP
import TaskwireHub
import Testing

/// Which right each route needs.
@Suite struct APIFamilyTests {
    @Test(arguments: [
        ("GET", "/healthz", APIFamily.open), ("GET", "/readyz", .open), ("GET", "/", .open), ("GET", "/taskwire-client.js", .open),
        ("GET", "/api/v1/openapi.json", .open), ("GET", "/metrics", .admin), ("GET", "/api/v1/metrics", .admin),
        ("GET", "/api/v1/connections", .admin), ("DELETE", "/api/v1/connections/c-1", .admin), ("POST", "/api/v1/publish", .admin),
        ("POST", "/api/v1/notifications", .admin), ("POST", "/api/v1/tasks", .tasks), ("GET", "/api/v1/tasks", .tasks),
        ("GET", "/api/v1/tasks/t1", .tasks), ("POST", "/api/v1/tasks/t1/cancel", .tasks), ("POST", "/api/v1/tasks/t1/retry", .tasks),
        ("GET", "/api/v1/queue/status", .tasks), ("POST", "/api/v1/queues/q/claim", .worker),
        ("POST", "/api/v1/tasks/t1/progress", .worker), ("POST", "/api/v1/tasks/t1/heartbeat", .worker),
        ("POST", "/api/v1/tasks/t1/complete", .worker), ("POST", "/api/v1/tasks/t1/fail", .worker),
    ])
    func routes(_ method: String, _ path: String, _ family: APIFamily) {
        #expect(APIFamily.of(method: HTTPRequest.Method(method)!, path: path) == family)
    }
}
