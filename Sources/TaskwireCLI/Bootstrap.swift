import CoreMetrics
import Logging
import Prometheus

/// Process-wide set-up, done once by the subcommand that runs (never by libraries or tests).
enum Bootstrap {
    /// Logs to standard error at `level` and above.
    static func logging(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// Sends every swift-metrics metric of the process to `registry`.
    static func metrics(_ registry: PrometheusCollectorRegistry) {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }
}
