import AutocertCurl
import AutocertHTTP
import Foundation

/// Pebble (Let's Encrypt's ACME test CA) and `pebble-challtestsrv` as its DNS, started on
/// 127.0.0.1 free ports for one test and stopped by PID.
///
/// Every name resolves to 127.0.0.1 (no AAAA records), so the CA validates challenges
/// against the test's own responders on ``httpPort`` (http-01) and ``tlsPort`` (tls-alpn-01).
/// Pebble's HTTPS listener uses a throwaway CA made here; give ``httpsRootPEMFile`` to the
/// ACME client as its custom root.
public final class PebbleHarness: Sendable {
    /// How to configure Pebble.
    public struct Options: Sendable {
        /// Share of good nonces Pebble rejects as bad (`PEBBLE_WFE_NONCEREJECT`); Pebble's 15 % by default here.
        public var nonceRejectPercent = 15
        /// Share of orders that reuse valid authorizations (`PEBBLE_AUTHZREUSE`); 0 makes every order validate.
        public var authzReusePercent = 0
        /// External account binding keys (key ID → base64url MAC key); nil: no EAB.
        public var externalAccountMACKeys: [String: String]? = nil
        /// Whether newAccount requires EAB (needs ``externalAccountMACKeys``).
        public var externalAccountBindingRequired = false
        /// The OCSP responder URL Pebble writes into certificates ("" for none).
        public var ocspResponderURL = ""
        /// Names Pebble refuses with `rejectedIdentifier`.
        public var domainBlocklist: [String] = []
        /// How many alternate roots (and chains) Pebble makes (`PEBBLE_ALTERNATE_ROOTS`).
        public var alternateRoots = 0
        /// Certificate validity in seconds (`certificateValidityPeriod`); nil: Pebble's default.
        public var certificateValidityPeriod: Int? = nil
        /// Extra environment for the pebble process.
        public var environment: [String: String] = [:]
        /// How long to wait for both processes to accept connections.
        public var startupTimeout: Duration = .seconds(20)

        public init() {}
    }

    public let directory: TemporaryDirectory
    /// The ACME directory URL, `https://127.0.0.1:PORT/dir`.
    public let directoryURL: String
    /// Pebble's management interface, `https://127.0.0.1:PORT` (`/roots/0`, `/intermediates/0`, …).
    public let managementURL: String
    /// The PEM root of Pebble's HTTPS listeners (not of the certificates it issues).
    public let httpsRootPEMFile: String
    /// The port Pebble connects to for http-01 validation.
    public let httpPort: Int
    /// The port Pebble connects to for tls-alpn-01 validation.
    public let tlsPort: Int
    /// challtestsrv's management port (to add DNS records, etc.).
    public let challengeServerManagementPort: Int
    private let pebble: TestProcess
    private let challengeServer: TestProcess

    /// Starts challtestsrv, then Pebble, and waits (bounded) until both accept connections.
    /// On any failure whatever was started is stopped by PID and the files are removed.
    public init(_ options: Options = Options()) async throws {
        let directory = try TemporaryDirectory(prefix: "pebble")
        var started: [TestProcess] = []
        do {
            var ports: [Int] = []
            while ports.count < 6 {  // six distinct ports: the kernel may hand one out twice
                let port = try FreePort.allocate()
                if !ports.contains(port) { ports.append(port) }
            }
            let (listen, management, dns, dnsManagement, http, tls) = (ports[0], ports[1], ports[2], ports[3], ports[4], ports[5])
            try await PebbleHarness.makeHTTPSCertificate(in: directory)
            let configPath = directory.file("pebble-config.json")
            try PebbleHarness.config(options, listen: listen, management: management, http: http, tls: tls, directory: directory)
                .write(to: URL(fileURLWithPath: configPath))

            let challengeServer = try TestProcess("pebble-challtestsrv", [
                "-dns01", "127.0.0.1:\(dns)", "-management", "127.0.0.1:\(dnsManagement)",
                "-http01", "", "-https01", "", "-tlsalpn01", "",
                "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
            ])
            started.append(challengeServer)
            var environment = [
                "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_VA_ALWAYS_VALID": "0",
                "PEBBLE_WFE_NONCEREJECT": "\(options.nonceRejectPercent)",
                "PEBBLE_AUTHZREUSE": "\(options.authzReusePercent)",
                "PEBBLE_ALTERNATE_ROOTS": "\(options.alternateRoots)",
            ]
            environment.merge(options.environment) { $1 }
            let pebble = try TestProcess("pebble", ["-config", configPath, "-dnsserver", "127.0.0.1:\(dns)"],
                                         environment: environment, currentDirectory: directory.path)
            started.append(pebble)
            try await Poll.until("pebble and challtestsrv to listen", timeout: options.startupTimeout, interval: .milliseconds(50)) {
                guard pebble.isRunning, challengeServer.isRunning else {
                    throw TestSupportError("pebble or challtestsrv exited at startup:\n\(pebble.outputText)\n\(challengeServer.outputText)")
                }
                return FreePort.isAccepting(listen) && FreePort.isAccepting(management) && FreePort.isAccepting(dnsManagement)
            }
            self.pebble = pebble
            self.challengeServer = challengeServer
            self.directory = directory
            self.directoryURL = "https://127.0.0.1:\(listen)/dir"
            self.managementURL = "https://127.0.0.1:\(management)"
            self.httpsRootPEMFile = directory.file("ca.pem")
            self.httpPort = http
            self.tlsPort = tls
            self.challengeServerManagementPort = dnsManagement
        } catch {
            for process in started.reversed() { await process.stop() }
            directory.remove()
            throw error
        }
    }

    /// The URL of Pebble's issuing root number `index` (`/roots/N` on the management port,
    /// PEM); the roots change with every Pebble start.
    public func issuingRootURL(_ index: Int = 0) -> String { "\(managementURL)/roots/\(index)" }

    /// Makes Pebble's DNS (challtestsrv's `/add-a`) resolve `host` to `addresses` (IPv4), so
    /// that its validation of `host` connects there (another loopback address, another
    /// instance of a cluster) instead of 127.0.0.1.
    public func resolve(_ host: String, to addresses: [String]) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["host": host, "addresses": addresses])
        let response = try await CurlTransport().send(
            HTTPRequest(method: .post, url: "http://127.0.0.1:\(challengeServerManagementPort)/add-a",
                        headers: [HTTPHeader(name: "Content-Type", value: "application/json")], body: Array(body)),
            limits: HTTPLimits(timeout: .seconds(10), maxBodyBytes: 64 * 1024))
        guard response.status == 200 else {
            throw TestSupportError("challtestsrv /add-a for \(host) answered HTTP \(response.status)")
        }
    }

    /// Everything Pebble printed so far (for failure messages).
    public var pebbleOutput: String { pebble.outputText }

    /// Stops both processes by PID and removes the temporary files.
    public func stop() async {
        await pebble.stop()
        await challengeServer.stop()
        directory.remove()
    }

    static func config(_ options: Options, listen: Int, management: Int, http: Int, tls: Int, directory: TemporaryDirectory) throws -> Data {
        var pebble: [String: Any] = [
            "listenAddress": "127.0.0.1:\(listen)",
            "managementListenAddress": "127.0.0.1:\(management)",
            "certificate": directory.file("cert.pem"),
            "privateKey": directory.file("key.pem"),
            "httpPort": http,
            "tlsPort": tls,
            "ocspResponderURL": options.ocspResponderURL,
            "externalAccountBindingRequired": options.externalAccountBindingRequired,
        ]
        if let keys = options.externalAccountMACKeys { pebble["externalAccountMACKeys"] = keys }
        if !options.domainBlocklist.isEmpty { pebble["domainBlocklist"] = options.domainBlocklist }
        if let validity = options.certificateValidityPeriod { pebble["certificateValidityPeriod"] = validity }
        return try JSONSerialization.data(withJSONObject: ["pebble": pebble], options: [.prettyPrinted, .sortedKeys])
    }

    /// A throwaway CA (`ca.pem`) and a `localhost`/127.0.0.1 certificate (`cert.pem`, `key.pem`) it signed.
    static func makeHTTPSCertificate(in directory: TemporaryDirectory) async throws {
        let extensions = directory.file("leaf.ext")
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
            .write(toFile: extensions, atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", directory.file("ca.key"),
             "-out", directory.file("ca.pem"), "-days", "2", "-subj", "/CN=swift-autocert test CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", directory.file("key.pem"),
             "-out", directory.file("leaf.csr"), "-subj", "/CN=localhost"],
            ["x509", "-req", "-in", directory.file("leaf.csr"), "-CA", directory.file("ca.pem"), "-CAkey", directory.file("ca.key"),
             "-set_serial", "1", "-out", directory.file("cert.pem"), "-days", "2", "-extfile", extensions],
        ]
        for arguments in steps {
            let (status, output) = try await TestProcess.run("openssl", arguments, timeout: .seconds(30))
            guard status == 0 else { throw TestSupportError("openssl \(arguments.joined(separator: " ")) failed: \(output)") }
        }
    }
}
