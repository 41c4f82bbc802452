import Autocert
import AutocertStapling
import AutocertTLS
import Logging

/// What an example server serves: the autocert Manager for `--domain` names, or the
/// certificates you bring (stapled from their `--staple` files or, with `--storage`, by a
/// stapler); as the selector its TLS backend asks, and the report its `/health` gives.
public struct ServedCertificates: Sendable {
    /// The Manager in automatic mode; run it (it runs its stapler).
    public let manager: Manager?
    /// The stapler of the certificates you bring, with `--storage`; run it.
    public let stapler: StaplingManager?
    public let selector: any CertificateSelector
    public let health: @Sendable () -> HealthReport
    /// Where they are kept (`--storage`), when given; run its service (``OpenedStorage/running(_:)``).
    public let storage: OpenedStorage?

    public static func load(automatic: AutomaticOptions, manualStapling: ManualStaplingOptions,
                            certificates: CertificateOptions, logger: Logger) async throws -> ServedCertificates {
        let storage = try await automatic.openStorage(logger: logger)
        if let manager = try automatic.makeManager(storage: storage, logger: logger) {
            return ServedCertificates(manager: manager, stapler: nil, selector: manager, health: { HealthReport(manager.health()) },
                                      storage: storage)
        }
        let stapler = try manualStapling.makeStapler(storage: storage, logger: logger)
        let loaded = try await CertificateArguments.load(try certificates.pairs(), stapler: stapler, logger: logger)
        return ServedCertificates(manager: nil, stapler: stapler, selector: loaded.selector,
                                  health: { HealthReport(certificates: loaded.certificates, stapler: stapler) }, storage: storage)
    }
}
