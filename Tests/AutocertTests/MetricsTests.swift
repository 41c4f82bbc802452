@testable import Autocert
import Foundation
import MetricsTestKit
import Testing

@Suite("Manager: metrics")
struct MetricsTests {
    @Test("refusals, issuances, loads and invalid records are counted")
    func counters() async throws {
        let metrics = TestMetrics()
        let harness = try Harness(stapleOCSP: false, metrics: metrics)
        defer { harness.stop() }
        _ = try? await harness.select(Harness.hello("refused.test"))
        harness.ca.failNext(1)
        _ = try? await harness.select(Harness.hello("example.test"))
        #expect(metrics.counterTotal(label: ManagerMetrics.hostRefusedLabel) == 1)
        #expect(metrics.counterTotal(label: ManagerMetrics.failuresLabel, dimensions: [("kind", "order")]) == 1)

        let storage = harness.storage
        try await storage.put("other.test", Array("garbage".utf8))
        let second = try Harness(names: ["other.test", "example.test"], storage: storage, stapleOCSP: false, ca: harness.ca, metrics: metrics)
        defer { second.stop() }
        _ = try await second.select(Harness.hello("other.test"))
        #expect(metrics.counterTotal(label: ManagerMetrics.invalidRecordsLabel) == 1)
        #expect(metrics.counterTotal(label: ManagerMetrics.certificatesLabel, dimensions: [("source", "obtained")]) == 1)
        let third = try Harness(names: ["other.test"], storage: storage, stapleOCSP: false, ca: harness.ca, metrics: metrics)
        defer { third.stop() }
        _ = try await third.select(Harness.hello("other.test"))
        #expect(metrics.counterTotal(label: ManagerMetrics.certificatesLabel, dimensions: [("source", "storage")]) == 1)
    }
}
