import AutocertStapling
import AutocertStaplingTLS
import AutocertStorage
import AutocertTestSupport
import AutocertTLS
import ExampleSupport
import Foundation
import Logging
import NIOPosix
import Prometheus
import Testing

/// The example servers' `/metrics` and `/health` endpoint over a real stapler, a real
/// `openssl ocsp` responder that can be stopped, and short-lived responses (no nextUpdate,
/// so the policy's lifetime applies: seconds instead of days).
@Suite("Example servers: /metrics and /health over a stapler with short-lived staples", .serialized)
struct ObservabilityTests {
    @Test("the staple's age falls after a refresh; /health is 503 once the staple expires with the responder down, 200 after it returns")
    func stapleAgeAndHealth() async throws {
        let directory = try TemporaryDirectory(prefix: "observability")
        defer { directory.remove() }
        let pki = try await TestPKI.create(in: directory.path)
        let responderPort = try FreePort.allocate()
        let leaf = try await pki.issueLeaf("short.test", ocspURL: "http://127.0.0.1:\(responderPort)")
        var responder = try await OpenSSLOCSPResponder(pki: pki, certificates: [leaf], port: responderPort, validityMinutes: nil)
        let registry = PrometheusCollectorRegistry()
        let policy = StaplePolicy(safetyMargin: .seconds(1), minimumRefreshInterval: .seconds(1), lifetimeWithoutNextUpdate: .seconds(6),
                                  retryFloor: .milliseconds(300), retryCeiling: .seconds(1))
        let logger = Logger(label: "observability-test")
        let stapler = StaplingManager(
            configuration: .init(policy: policy, fetchTimeout: .seconds(2), metricsInterval: .milliseconds(100)),
            storage: try DirectoryStorage(path: directory.file("store"), logger: logger), logger: logger,
            metricsFactory: PrometheusMetricsFactory(registry: registry))
        let key = try await stapler.stapling(CertifiedKey(
            chainPEM: String(contentsOfFile: leaf.chainPath, encoding: .utf8), privateKeyPEM: String(contentsOfFile: leaf.keyPath, encoding: .utf8)))
        let endpoint = try await MetricsEndpoint.start(
            host: "127.0.0.1", port: 0, registry: registry, group: MultiThreadedEventLoopGroup.singleton,
            health: { HealthReport(certificates: [(["short.test"], key)], stapler: stapler) })
        do {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await stapler.run() }
                defer { tasks.cancelAll() }

                try await Poll.until("/health to say 200", timeout: .seconds(20)) { try await Self.get(endpoint, "/health").status == 200 }
                var oldest = 0.0
                try await Poll.until("the staple to age past 2 s", timeout: .seconds(10), interval: .milliseconds(100)) {
                    oldest = try await Self.stapleAge(endpoint)
                    return oldest > 2
                }
                try await Poll.until("a refresh to bring a younger staple", timeout: .seconds(10), interval: .milliseconds(100)) {
                    try await Self.stapleAge(endpoint) < 1
                }

                await responder.stop()
                try await Poll.until("/health to say 503 once the staple has expired", timeout: .seconds(20), interval: .milliseconds(200)) {
                    try await Self.get(endpoint, "/health").status == 503
                }
                let down = try await Self.get(endpoint, "/health")
                #expect(down.body.hasPrefix("unhealthy\n") && down.body.contains("problem: short.test: no valid staple"), "\(down.body)")
                // /health reads the stapler now; the gauges are its snapshot of every
                // metricsInterval (100 ms here), which may have been taken just before the expiry.
                var metrics = ""
                try await Poll.until("/metrics to count the certificate as failing", timeout: .seconds(5), interval: .milliseconds(50)) {
                    metrics = try await Self.get(endpoint, "/metrics").body
                    return metrics.contains(#"autocert_stapling_certificates{condition="failing"} 1"#)
                }
                #expect(Self.value(of: "autocert_stapling_failure_streak", in: metrics).map { $0 >= 1 } == true, "\(metrics)")
                #expect(!metrics.contains(#"autocert_stapling_certificates{condition="stapled"} 1"#), "\(metrics)")

                responder = try await OpenSSLOCSPResponder(pki: pki, certificates: [leaf], port: responderPort, validityMinutes: nil)
                try await Poll.until("/health to say 200 again", timeout: .seconds(20), interval: .milliseconds(200)) {
                    try await Self.get(endpoint, "/health").status == 200
                }
            }
        } catch {
            await responder.stop()  // the responder is a process: stopped by PID whatever happened
            await endpoint.stop()
            throw error
        }
        await responder.stop()
        await endpoint.stop()
    }

    /// The oldest served staple's age from `/metrics`.
    static func stapleAge(_ endpoint: MetricsEndpoint) async throws -> Double {
        let metrics = try await get(endpoint, "/metrics").body
        return try #require(value(of: "autocert_stapling_oldest_staple_age_seconds", in: metrics), "\(metrics)")
    }

    /// The value of the sample named `name` (no labels) in Prometheus text.
    static func value(of name: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// A GET with curl: the status and the body.
    static func get(_ endpoint: MetricsEndpoint, _ path: String) async throws -> (status: Int, body: String) {
        let (_, output) = try await TestProcess.run("curl", ["-sS", "-w", "\n%{http_code}", "http://127.0.0.1:\(endpoint.port)\(path)"],
                                                     stdin: "", timeout: .seconds(10))
        let status = Int(output.split(separator: "\n").last ?? "") ?? 0
        return (status, String(output.dropLast(String(status).count)))
    }
}
