import AutocertOCSP
import CoreMetrics
import Metrics
import Synchronization

/// The manager's swift-metrics instruments. Labels are documented in docs/stapling-policy.md.
///
/// Per-certificate series would be unbounded at 100,000 certificates, so per-certificate
/// facts are aggregated: the soonest staple expiry, the longest failure streak, and the
/// count of certificates per ``StapleInfo/Condition``, refreshed by a periodic sweep.
final class StaplingMetrics: Sendable {
    private let factory: any MetricsFactory
    private let fetchedGood: Counter
    private let fetchedRevoked: Counter
    private let fetchedUnknown: Counter
    private let revocations: Counter
    private let stapleAge: Recorder
    private let secondsUntilExpiry: Gauge
    private let oldestStapleAge: Gauge
    private let longestFailureStreak: Gauge
    private let conditions: [StapleInfo.Condition: Gauge]
    private let failures = Mutex<[String: Counter]>([:])

    static let fetchesLabel = "autocert_stapling_fetches_total"
    static let failuresLabel = "autocert_stapling_failures_total"
    static let revocationsLabel = "autocert_stapling_revocations_total"
    static let stapleAgeLabel = "autocert_stapling_staple_age_seconds"
    static let expiryLabel = "autocert_stapling_seconds_until_expiry"
    static let oldestAgeLabel = "autocert_stapling_oldest_staple_age_seconds"
    static let streakLabel = "autocert_stapling_failure_streak"
    static let certificatesLabel = "autocert_stapling_certificates"

    init(factory: any MetricsFactory) {
        self.factory = factory
        fetchedGood = Counter(label: Self.fetchesLabel, dimensions: [("status", "good")], factory: factory)
        fetchedRevoked = Counter(label: Self.fetchesLabel, dimensions: [("status", "revoked")], factory: factory)
        fetchedUnknown = Counter(label: Self.fetchesLabel, dimensions: [("status", "unknown")], factory: factory)
        revocations = Counter(label: Self.revocationsLabel, factory: factory)
        stapleAge = Recorder(label: Self.stapleAgeLabel, factory: factory)
        secondsUntilExpiry = Gauge(label: Self.expiryLabel, factory: factory)
        oldestStapleAge = Gauge(label: Self.oldestAgeLabel, factory: factory)
        longestFailureStreak = Gauge(label: Self.streakLabel, factory: factory)
        var conditions: [StapleInfo.Condition: Gauge] = [:]
        for condition in [StapleInfo.Condition.pending, .stapled, .revoked, .unknownToResponder, .noResponderURL, .failing, .certificateExpired] {
            conditions[condition] = Gauge(label: Self.certificatesLabel, dimensions: [("condition", condition.rawValue)], factory: factory)
        }
        self.conditions = conditions
    }

    /// A verified answer arrived; `age` is how old it was (now − thisUpdate) in seconds.
    func fetched(_ status: OCSPAnswer.Status, age: Double) {
        switch status {
        case .good: fetchedGood.increment()
        case .revoked: fetchedRevoked.increment()
        case .unknown: fetchedUnknown.increment()
        }
        stapleAge.record(age)
    }

    func revoked() { revocations.increment() }

    /// A fetch failed for `code` (the OCSPError code name, or `stale`).
    func failed(_ code: String) {
        let counter = failures.withLock { counters in
            if let counter = counters[code] { return counter }
            let counter = Counter(label: Self.failuresLabel, dimensions: [("reason", code)], factory: factory)
            counters[code] = counter
            return counter
        }
        counter.increment()
    }

    /// What a periodic sweep over every certificate found.
    struct Sweep {
        /// Seconds until the soonest staple end (negative once passed); nil with no staple.
        var soonestExpiry: Double?
        /// The age (now − thisUpdate, RFC 6960 §4.2.2.1) of the oldest staple served now.
        var oldestAge: Double?
        var longestStreak = 0
        var counts: [StapleInfo.Condition: Int] = [:]
    }

    /// The sweep's aggregates.
    func sweep(_ sweep: Sweep) {
        secondsUntilExpiry.record(sweep.soonestExpiry ?? 0)
        oldestStapleAge.record(sweep.oldestAge ?? 0)
        longestFailureStreak.record(sweep.longestStreak)
        for (condition, gauge) in conditions {
            gauge.record(sweep.counts[condition] ?? 0)
        }
    }
}
