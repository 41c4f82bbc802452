import ArgumentParser
import Logging
import Metrics
import NIOCore
import Prometheus

/// The `--metrics-port` flags of the example servers: a second listener for `GET /metrics`
/// (Prometheus text format) and `GET /health` (200 or 503 with the reasons).
public struct ObservabilityOptions: ParsableArguments {
    public init() {}

    @Option(name: .customLong("metrics-port"),
            help: ArgumentHelp("Serve GET /metrics (Prometheus text) and GET /health on this port (0 picks a free one); off when not given.", valueName: "PORT"))
    public var port: Int?

    @Option(name: .customLong("metrics-host"), help: "The address the metrics and health listener binds.")
    public var host: String = "127.0.0.1"

    public func validate() throws {
        guard port.map({ (0...65_535).contains($0) }) ?? true else { throw ValidationError("--metrics-port must be a port number") }
    }

    /// With `--metrics-port`, bootstraps swift-metrics with a Prometheus factory (before the
    /// Manager, stapler and backends make their instruments) and returns its registry.
    public func bootstrap() -> PrometheusCollectorRegistry? {
        guard port != nil else { return nil }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }

    /// Starts the listener when `registry` was made by ``bootstrap()``; nil otherwise.
    public func start(registry: PrometheusCollectorRegistry?, group: any EventLoopGroup, logger: Logger,
                      health: @escaping @Sendable () -> HealthReport) async throws -> MetricsEndpoint? {
        guard let port, let registry else { return nil }
        let endpoint = try await MetricsEndpoint.start(host: host, port: port, registry: registry, group: group, health: health)
        logger.notice("serving /metrics and /health", metadata: ["metrics-port": "\(endpoint.port)"])
        return endpoint
    }
}
