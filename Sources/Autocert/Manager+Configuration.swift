import AutocertACME
import AutocertStapling
import AutocertStorage
import Foundation
import Logging

extension Manager {
    /// The Manager's knobs, each with its default.
    public struct Configuration: Sendable {
        /// Let's Encrypt's production directory (RFC 8555 §7.1.1).
        public static let letsEncryptDirectoryURL = "https://acme-v02.api.letsencrypt.org/directory"
        /// Let's Encrypt's staging directory: use it while testing (higher limits, untrusted roots).
        public static let letsEncryptStagingDirectoryURL = "https://acme-staging-v02.api.letsencrypt.org/directory"
        /// Directories of CAs that issue certificates without OCSP URLs and refuse Must-Staple:
        /// Let's Encrypt's, since 2025 (Must-Staple orders refused from January 30, OCSP URLs
        /// gone from certificates from May 7, responders off from August 6).
        public static let directoriesWithoutOCSP: Set<String> = [letsEncryptDirectoryURL, letsEncryptStagingDirectoryURL]

        /// The ACME directory URL. Default ``letsEncryptDirectoryURL``.
        public var directoryURL: String
        /// A PEM file of extra roots trusted for the directory's HTTPS (a test CA such as
        /// Pebble). Default nil: the system roots only.
        public var directoryTrustedRootsPEMFile: String?
        /// Where keys, certificates, staples and the ACME account key persist. Default nil:
        /// a ``AutocertStorage/DirectoryStorage`` at ``defaultStoragePath`` (0700 directory,
        /// 0600 files).
        public var storage: (any BlobStorage)?
        /// Which names may get certificates. Default ``HostPolicy/denyAll``: list your names
        /// with ``HostPolicy/allowing(_:)``; unknown names never cause CA traffic.
        public var hostPolicy: HostPolicy
        /// A contact address for the ACME account (sent as `mailto:`, RFC 8555 §7.3). Default nil.
        public var email: String?
        /// Whether you agree to the CA's terms of service (RFC 8555 §7.3 termsOfServiceAgreed);
        /// CAs that have terms refuse to make an account without it. Default false.
        public var acceptsTermsOfService: Bool
        /// The kind of key made for each certificate. Default ``CertificateKeyType/p256``.
        public var keyType: CertificateKeyType
        /// The certificate profile to ask the CA for (ACME profiles; e.g. Let's Encrypt's
        /// `classic`, `tlsserver`, `shortlived`). Checked against the profiles the CA's
        /// directory offers before the first order; an unknown one fails with the list.
        /// Default nil: the CA's default profile.
        public var profile: String?
        /// When to renew and how to retry. Default: a third of the lifetime before notAfter, at
        /// most 30 days, up to 10 % earlier at random; retries from 1 minute doubling to 6 hours.
        public var renewal: RenewalPolicy
        /// Whether to ask for OCSP Must-Staple certificates (RFC 7633). Default false. Never
        /// asked of a CA whose certificates carry no OCSP URL: Let's Encrypt refuses Must-Staple
        /// orders and left OCSP in 2025 (``directoriesWithoutOCSP``); any other CA is not asked
        /// again once a certificate of its comes without an OCSP URL or it refuses a Must-Staple
        /// CSR.
        public var mustStaple: Bool
        /// Whether to staple OCSP: every certificate obtained or loaded is registered with a
        /// ``AutocertStapling/StaplingManager`` and served with its current verified staple
        /// whenever the certificate has an OCSP URL. Default true.
        public var stapleOCSP: Bool
        /// How long a handshake for a certificate just loaded or issued waits for its first
        /// staple before going on without one (the background refresh supplies it). Default 10 s.
        public var firstStapleTimeout: Duration
        /// The stapler's own knobs (refresh, retries, responder override). Default its defaults.
        public var stapling: StaplingManager.Configuration
        /// Whether ``Manager/run()`` starts by loading every stored certificate the host policy
        /// allows (``Manager/preloadStoredCertificates(concurrency:)``), so that no handshake
        /// waits for storage; otherwise each loads at its first handshake. Default true.
        public var preloadsStoredCertificates: Bool
        /// In a cluster (a ``AutocertStorage/LockingStorage``), the lease of a name's order
        /// lock: how long after an instance dies in the middle of an order another may order
        /// the name. The holder renews it every third of it. Default 60 s.
        public var orderLockLease: Duration
        /// The source of jitter, a number in [0, 1). Default `Double.random(in: 0..<1)`; tests pin it.
        public var randomUnit: @Sendable () -> Double

        public init(
            directoryURL: String = Configuration.letsEncryptDirectoryURL,
            directoryTrustedRootsPEMFile: String? = nil,
            storage: (any BlobStorage)? = nil,
            hostPolicy: HostPolicy = .denyAll,
            email: String? = nil,
            acceptsTermsOfService: Bool = false,
            keyType: CertificateKeyType = .p256,
            profile: String? = nil,
            renewal: RenewalPolicy = RenewalPolicy(),
            mustStaple: Bool = false,
            stapleOCSP: Bool = true,
            firstStapleTimeout: Duration = .seconds(10),
            stapling: StaplingManager.Configuration = StaplingManager.Configuration(),
            preloadsStoredCertificates: Bool = true,
            orderLockLease: Duration = .seconds(60),
            randomUnit: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
        ) {
            self.directoryURL = directoryURL
            self.directoryTrustedRootsPEMFile = directoryTrustedRootsPEMFile
            self.storage = storage
            self.hostPolicy = hostPolicy
            self.email = email
            self.acceptsTermsOfService = acceptsTermsOfService
            self.keyType = keyType
            self.profile = profile
            self.renewal = renewal
            self.mustStaple = mustStaple
            self.stapleOCSP = stapleOCSP
            self.firstStapleTimeout = firstStapleTimeout
            self.stapling = stapling
            self.preloadsStoredCertificates = preloadsStoredCertificates
            self.orderLockLease = orderLockLease
            self.randomUnit = randomUnit
        }

        /// The default storage directory: `$XDG_DATA_HOME/swift-autocert`, else
        /// `~/.local/share/swift-autocert`.
        public static var defaultStoragePath: String {
            let environment = ProcessInfo.processInfo.environment
            if let data = environment["XDG_DATA_HOME"], !data.isEmpty { return data + "/swift-autocert" }
            return FileManager.default.homeDirectoryForCurrentUser.path + "/.local/share/swift-autocert"
        }

        /// The configured storage, or the default directory (created now, its repairs logged to `logger`).
        func resolvedStorage(logger: Logger) throws(AutocertError) -> any BlobStorage {
            if let storage { return storage }
            do {
                return try DirectoryStorage(path: Self.defaultStoragePath, logger: logger)
            } catch {
                throw AutocertError(.invalidConfiguration, "the default storage directory cannot be used: \(error.reason); set Configuration.storage", underlying: error)
            }
        }
    }
}
