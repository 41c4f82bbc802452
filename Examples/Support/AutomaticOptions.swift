import ArgumentParser
import Autocert
import AutocertPostgres
import AutocertStorage
import AutocertTLS
import Logging

/// The automatic-certificate flags of the example servers (`autocert-server`, `autocert-hummingbird`): certificates for `--domain` names
/// from an ACME CA through the autocert ``Autocert/Manager``, stapled unless `--no-staple-ocsp`.
///
/// Example against Pebble:
///   autocert-server --domain a.example.test --directory https://127.0.0.1:14000/dir \
///     --ca-roots pebble.minica.pem --accept-tos --storage /tmp/autocert --https-port 5001 --http-port 5002
public struct AutomaticOptions: ParsableArguments {
    public init() {}

    @Option(name: .customLong("domain"), help: ArgumentHelp("A name or IP address to obtain a certificate for (repeatable); turns automatic mode on. An IP address (RFC 8738) is served to clients that send no server name and connect to that address.", valueName: "NAME"))
    public var domains: [String] = []

    @Option(help: ArgumentHelp("The certificate profile to ask the CA for (e.g. Let's Encrypt's classic, tlsserver, shortlived); checked against the CA's directory at start.", valueName: "NAME"))
    var profile: String?

    @Option(help: ArgumentHelp("The ACME directory URL.", valueName: "URL"))
    var directory: String = Manager.Configuration.letsEncryptDirectoryURL

    @Option(name: .customLong("ca-roots"), help: ArgumentHelp("PEM roots trusted for the directory's HTTPS (a test CA such as Pebble).", valueName: "ROOTS.pem"))
    var caRoots: String?

    @Option(help: "A contact address for the ACME account.")
    var email: String?

    @Flag(name: .customLong("accept-tos"), help: "Agree to the CA's terms of service (required by Let's Encrypt).")
    var acceptTermsOfService = false

    @Option(help: ArgumentHelp("Where keys, certificates and staples are kept: a directory (0700, files 0600), or postgres://USER@HOST:PORT/DB shared by the instances of a cluster (password from --storage-password-file or $\(OpenedStorage.passwordEnvironmentVariable)). With --cert and no --domain: staple the certificates you bring, persisting their staples here.", valueName: "DIR|URL"))
    public var storage: String?

    @Option(name: .customLong("storage-password-file"), help: ArgumentHelp("A file holding the PostgreSQL password of a postgres:// --storage (else $\(OpenedStorage.passwordEnvironmentVariable)).", valueName: "FILE"))
    var storagePasswordFile: String?

    @Option(name: .customLong("storage-tls"), help: "TLS to a postgres:// --storage.")
    var storageTLS: PostgresTLSChoice = .requireUnlessLoopback

    @Option(name: .customLong("http-port"), help: "The plain-HTTP port for http-01 answers and redirects to HTTPS (0: none).")
    public var httpPort: Int = 80

    @Flag(name: .customLong("no-staple-ocsp"), help: "Do not staple OCSP responses to the certificates obtained.")
    var noStapleOCSP = false

    @Option(name: .customLong("order-lock-lease"), help: ArgumentHelp("In a cluster (postgres:// --storage): seconds after an instance dies in the middle of an order before another may order the name.", valueName: "SECONDS"))
    var orderLockLease: Int = 60

    @Flag(name: .customLong("must-staple"), help: "Ask for OCSP Must-Staple certificates (RFC 7633).")
    var mustStaple = false

    /// Whether automatic mode is on (at least one --domain).
    public var isEnabled: Bool { !domains.isEmpty }

    public func validate() throws {
        guard isEnabled || (caRoots == nil && email == nil && !mustStaple && !noStapleOCSP && profile == nil) else {
            throw ValidationError("--ca-roots, --email, --profile, --must-staple and --no-staple-ocsp need at least one --domain")
        }
        guard (0...65_535).contains(httpPort) else { throw ValidationError("--http-port must be a port number") }
        guard (3...3600).contains(orderLockLease) else { throw ValidationError("--order-lock-lease must be between 3 and 3600 seconds") }
    }

    /// Opens `--storage` (a directory or PostgreSQL); nil without it.
    public func openStorage(logger: Logger) async throws -> OpenedStorage? {
        guard let storage else { return nil }
        return try await OpenedStorage.open(storage, passwordFile: storagePasswordFile, tls: storageTLS.mode, logger: logger)
    }

    /// The Manager for the --domain names, keeping its state in `storage` (else the default
    /// directory); nil when automatic mode is off.
    public func makeManager(storage opened: OpenedStorage?, logger: Logger) throws -> Manager? {
        guard isEnabled else { return nil }
        let configuration = Manager.Configuration(
            directoryURL: directory, directoryTrustedRootsPEMFile: caRoots,
            storage: opened?.storage,
            hostPolicy: .allowing(domains), email: email, acceptsTermsOfService: acceptTermsOfService,
            profile: profile, mustStaple: mustStaple, stapleOCSP: !noStapleOCSP, orderLockLease: .seconds(orderLockLease))
        logger.info("automatic certificates", metadata: [
            "domains": "\(domains.joined(separator: ","))", "directory": "\(directory)",
            "storage": "\(storage ?? Manager.Configuration.defaultStoragePath)", "staple-ocsp": "\(!noStapleOCSP)",
        ])
        return try Manager(configuration: configuration, logger: logger)
    }

    /// One log line per certificate obtained, staple fetched and failure: what an operator
    /// reads to follow the server (failures and revocations as warnings).
    public static func logEvents(_ events: AsyncStream<ManagerEvent>, logger: Logger) async {
        for await event in events {
            switch event {
            case .failed, .revoked, .invalidStoredRecord, .stapling(.failed), .stapling(.revoked),
                 .stapling(.expiringWithoutRefresh), .stapling(.expired):
                logger.warning("\(event)")
            default:
                logger.info("\(event)")
            }
        }
    }
}

/// `--storage-tls`: TLS to PostgreSQL (``AutocertPostgres/PostgresTLSMode``).
public enum PostgresTLSChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    case require
    case prefer
    case disable
    case requireUnlessLoopback = "require-unless-loopback"

    var mode: PostgresTLSMode {
        switch self {
        case .require: .require
        case .prefer: .prefer
        case .disable: .disable
        case .requireUnlessLoopback: .requireUnlessLoopback
        }
    }
}
