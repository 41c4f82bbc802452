import AutocertTLS
internal import CAutocertGnuTLS
import Logging
import NIOCore

/// The GnuTLS (3.7) ``TLSBackend``: TLS 1.2 and 1.3 over push/pull functions, the chain (imported
/// once per certificate, kept by least-recent use) and the staple handed over per connection by
/// `gnutls_certificate_set_retrieve_function3`; the certificate's ``StapleSource`` is asked
/// only for clients that asked for a staple (RFC 6066 §8, RFC 8446 §4.4.2.1).
public struct GnuTLSBackend: TLSBackend {
    public let configuration: TLSServerConfiguration
    /// `autocert_tls_handshakes_total{backend="gnutls"}`, made once from the bootstrapped metrics factory.
    private let handshakes = TLSHandshakeMetrics(backend: "gnutls")
    private let shared: GnuTLSShared

    public init(configuration: TLSServerConfiguration = TLSServerConfiguration()) throws {
        self.configuration = configuration
        self.shared = try GnuTLSShared(configuration: configuration)
    }

    public var name: String { "gnutls" }

    public var libraryVersion: String { "GnuTLS " + String(cString: gnutls_check_version(nil)) }

    public var supportsStapling: Bool { true }

    /// How many certificates this backend has imported, and how many it keeps now (for tests).
    package var contextStatistics: (prepared: Int, kept: Int) { (shared.keys.preparations, shared.keys.count) }

    public func makeServerHandler(selector: any CertificateSelector, logger: Logger) -> any ChannelHandler {
        let shared = self.shared
        return TLSServerHandler(
            backendName: name, selector: selector, configuration: configuration, logger: logger, metrics: handshakes
        ) { key, hello, applicationProtocol in
            let prepared = try shared.keys.context(for: key)
            let source = shared.staplingEnabled && hello.requestsOCSPStaple ? key.stapleSource : nil
            return try GnuTLSSession(shared: shared, key: prepared, stapleSource: source, applicationProtocol: applicationProtocol)
        }
    }
}

/// What every session of a backend shares: the credentials (with the retrieve callback),
/// the priority cache, and the prepared keys. Read-only once made, so any thread may use it.
final class GnuTLSShared: @unchecked Sendable {
    let credentials: gnutls_certificate_credentials_t
    let priority: gnutls_priority_t
    let keys: CertificateContextCache<GnuTLSPreparedKey>
    let staplingEnabled: Bool

    init(configuration: TLSServerConfiguration) throws {
        var credentials: gnutls_certificate_credentials_t?
        try GnuTLSError.check(gnutls_certificate_allocate_credentials(&credentials), .libraryFailure, "allocating GnuTLS credentials")
        self.credentials = credentials!
        var priority: gnutls_priority_t?
        let versions = configuration.minimumVersion == .tls13 ? "+VERS-TLS1.3" : "+VERS-TLS1.3:+VERS-TLS1.2"
        let result = gnutls_priority_init(&priority, "NORMAL:-VERS-ALL:\(versions)", nil)
        guard result == GNUTLS_E_SUCCESS, let priority else {
            gnutls_certificate_free_credentials(credentials)
            throw GnuTLSError.error(result, .libraryFailure, "setting the GnuTLS priority string")
        }
        self.priority = priority
        self.keys = CertificateContextCache(capacity: configuration.certificateCacheCapacity) { try GnuTLSPreparedKey($0) }
        self.staplingEnabled = configuration.staplingEnabled
        gnutls_certificate_set_retrieve_function3(self.credentials, gnuTLSRetrieveCertificate)
    }

    deinit {
        gnutls_priority_deinit(priority)
        gnutls_certificate_free_credentials(credentials)
    }
}
