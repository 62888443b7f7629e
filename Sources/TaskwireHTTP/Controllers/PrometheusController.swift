import Hummingbird
import NIOCore
import Prometheus

/// `GET /metrics`: every metric of the registry in Prometheus text format (names prefixed `taskwire_`).
struct PrometheusController: Sendable {
    let registry: PrometheusCollectorRegistry

    func addRoutes(to router: some RouterMethods<TaskwireRequestContext>) {
        router.get("metrics", use: metrics)
        router.allowOnly([.get], on: "metrics")
    }

    @Sendable func metrics(_ request: Request, context: TaskwireRequestContext) -> Response {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4096)
        registry.emit(into: &bytes)
        let body = ByteBuffer(bytes: bytes)
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/plain; version=0.0.4; charset=utf-8",
                .contentLength: String(body.readableBytes),
            ],
            body: .init(byteBuffer: body)
        )
    }
}
