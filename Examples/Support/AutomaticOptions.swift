import ArgumentParser
import Autocert
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

    @Option(help: ArgumentHelp("Where keys, certificates and staples are kept (0700 directory, 0600 files). With --cert and no --domain: staple the certificates you bring, persisting their staples here.", valueName: "DIR"))
    public var storage: String?

    @Option(name: .customLong("http-port"), help: "The plain-HTTP port for http-01 answers and redirects to HTTPS (0: none).")
    public var httpPort: Int = 80

    @Flag(name: .customLong("no-staple-ocsp"), help: "Do not staple OCSP responses to the certificates obtained.")
    var noStapleOCSP = false

    @Flag(name: .customLong("must-staple"), help: "Ask for OCSP Must-Staple certificates (RFC 7633).")
    var mustStaple = false

    /// Whether automatic mode is on (at least one --domain).
    public var isEnabled: Bool { !domains.isEmpty }

    public func validate() throws {
        guard isEnabled || (caRoots == nil && email == nil && !mustStaple && !noStapleOCSP && profile == nil) else {
            throw ValidationError("--ca-roots, --email, --profile, --must-staple and --no-staple-ocsp need at least one --domain")
        }
        guard (0...65_535).contains(httpPort) else { throw ValidationError("--http-port must be a port number") }
    }

    /// The Manager for the --domain names; nil when automatic mode is off.
    public func makeManager(logger: Logger) throws -> Manager? {
        guard isEnabled else { return nil }
        let configuration = Manager.Configuration(
            directoryURL: directory, directoryTrustedRootsPEMFile: caRoots,
            storage: try storage.map { try DirectoryStorage(path: $0, logger: logger) },
            hostPolicy: .allowing(domains), email: email, acceptsTermsOfService: acceptTermsOfService,
            profile: profile, mustStaple: mustStaple, stapleOCSP: !noStapleOCSP)
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
