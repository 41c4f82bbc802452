import CoreMetrics

/// The handshake counters of one backend: `autocert_tls_handshakes_total{backend, outcome}`,
/// where `outcome` is `completed` or the ``TLSBackendError/Code`` that ended the handshake
/// (`handshakeFailed`, `handshakeTimeout`, `noCertificate`, `notTLS`, …).
///
/// Made once per backend from the factory bootstrapped at that time (swift-metrics'
/// `MetricsSystem`): every counter exists before the first connection, so a handshake costs
/// one increment and no lookup that allocates or locks.
package final class TLSHandshakeMetrics: Sendable {
    package static let label = "autocert_tls_handshakes_total"

    private let completed: Counter
    private let failed: [String: Counter]
    private let other: Counter

    /// The codes a handshake can end with; any other is counted as `other`.
    static let codes: [TLSBackendError.Code] = [
        .invalidCertifiedKey, .notTLS, .invalidClientHello, .clientHelloTooLarge, .clientHelloTooFragmented,
        .truncatedClientHello, .noCertificate, .handshakeFailed, .handshakeTimeout, .libraryFailure, .unexpectedClose,
    ]

    package init(backend: String, factory: any MetricsFactory = MetricsSystem.factory) {
        func counter(_ outcome: String) -> Counter {
            Counter(label: Self.label, dimensions: [("backend", backend), ("outcome", outcome)], factory: factory)
        }
        completed = counter("completed")
        other = counter("other")
        var failed: [String: Counter] = [:]
        for code in Self.codes { failed[code.description] = counter(code.description) }
        self.failed = failed
    }

    /// A handshake completed.
    func recordCompleted() { completed.increment() }

    /// A handshake ended with `code`.
    func recordFailed(_ code: TLSBackendError.Code) {
        (failed[code.description] ?? other).increment()
    }
}
