import Hummingbird
import Logging
import NIOCore

/// `GET /healthz` (the process is alive) and `GET /readyz` (every readiness check passes).
struct HealthController: Sendable {
    let checks: [ReadinessCheck]

    func addRoutes(to router: some RouterMethods<TaskwireRequestContext>) {
        router.get("healthz", use: health)
        router.allowOnly([.get], on: "healthz")
        router.get("readyz", use: ready)
        router.allowOnly([.get], on: "readyz")
    }

    @Sendable func health(_ request: Request, context: TaskwireRequestContext) -> Response {
        .json(ByteBuffer(staticString: #"{"status":"ok"}"#))
    }

    @Sendable func ready(_ request: Request, context: TaskwireRequestContext) async throws -> Response {
        for check in checks {
            guard let failure = await check.run() else { continue }
            var message = "not ready: check \"\(check.name)\" failed"
            if let failure = failure as? ReadinessCheck.Failure {
                message += ": \(failure.reason)"
            } else {
                context.logger.info(
                    "readiness check failed",
                    metadata: ["tw.check": "\(check.name)", "error.type": "\(String(reflecting: type(of: failure)))"]
                )
            }
            throw HTTPAPIError(.unavailable, message)
        }
        return .json(ByteBuffer(staticString: #"{"status":"ok"}"#))
    }
}
