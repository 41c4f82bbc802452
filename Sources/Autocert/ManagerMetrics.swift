import CoreMetrics
import Metrics

/// The Manager's swift-metrics instruments (aggregates only: no per-name series).
final class ManagerMetrics: Sendable {
    let obtained: Counter
    let renewed: Counter
    let loaded: Counter
    /// Failed orders for a name not yet served (`kind="order"`).
    let orderFailures: Counter
    /// Failed renewals; the old certificate is still served (`kind="renewal"`).
    let renewalFailures: Counter
    let hostRefused: Counter
    let invalidRecords: Counter
    let revocations: Counter
    let issuanceDuration: Timer
    let storageFailures: Counter

    static let certificatesLabel = "autocert_certificates_total"
    static let failuresLabel = "autocert_issuance_failures_total"
    static let hostRefusedLabel = "autocert_host_refused_total"
    static let invalidRecordsLabel = "autocert_invalid_stored_records_total"
    static let revocationsLabel = "autocert_revocations_total"
    static let durationLabel = "autocert_issuance_duration_seconds"
    static let storageFailuresLabel = "autocert_storage_failures_total"

    init(factory: any MetricsFactory) {
        obtained = Counter(label: Self.certificatesLabel, dimensions: [("source", "obtained")], factory: factory)
        renewed = Counter(label: Self.certificatesLabel, dimensions: [("source", "renewed")], factory: factory)
        loaded = Counter(label: Self.certificatesLabel, dimensions: [("source", "storage")], factory: factory)
        orderFailures = Counter(label: Self.failuresLabel, dimensions: [("kind", "order")], factory: factory)
        renewalFailures = Counter(label: Self.failuresLabel, dimensions: [("kind", "renewal")], factory: factory)
        hostRefused = Counter(label: Self.hostRefusedLabel, factory: factory)
        invalidRecords = Counter(label: Self.invalidRecordsLabel, factory: factory)
        revocations = Counter(label: Self.revocationsLabel, factory: factory)
        issuanceDuration = Timer(label: Self.durationLabel, preferredDisplayUnit: .seconds, factory: factory)
        storageFailures = Counter(label: Self.storageFailuresLabel, factory: factory)
    }
}
