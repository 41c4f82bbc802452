import AutocertTestSupport
import Foundation
import Synchronization

/// A cluster as an operator runs one: three `autocert-server` processes on 127.0.0.1,
/// 127.0.0.2 and 127.0.0.3 (the same ports, as behind a load balancer) sharing one PostgreSQL,
/// against Pebble (its DNS, challtestsrv, steered per name with ``PebbleHarness/resolve(_:to:)``)
/// and an `openssl ocsp` responder in step with Pebble that counts requests.
final class ClusterRig: Sendable {
    static let addresses = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]

    let pebble: PebbleHarness
    let responder: PebbleOCSPResponder
    let postgres: PostgresHarness
    let work: TemporaryDirectory
    let names: [String]
    let backend: String
    /// Pebble's issuing root, to verify what the instances serve.
    let rootPEMFile: String
    private let extraArguments: [String]
    private let processes = Mutex<[Int: TestProcess]>([:])
    /// The output of every instance process started, killed ones included.
    private let finished = Mutex<[String]>([])

    /// - Parameters:
    ///   - pebbleEnvironment: extra Pebble environment (e.g. validation sleeps).
    ///   - arguments: extra `autocert-server` arguments for every instance.
    init(names: [String], backend: String = "openssl", pebbleEnvironment: [String: String] = [:], arguments: [String] = []) async throws {
        var started: [@Sendable () async -> Void] = []
        do {
            let work = try TemporaryDirectory(prefix: "autocert-cluster")
            started.append { work.remove() }
            let responder = try PebbleOCSPResponder(directory: work.path)
            var options = PebbleHarness.Options()
            options.ocspResponderURL = responder.url
            options.nonceRejectPercent = 0
            options.environment = pebbleEnvironment
            let pebble = try await PebbleHarness(options)
            started.append { await pebble.stop() }
            try await responder.start(managementURL: pebble.managementURL, managementRootPEMFile: pebble.httpsRootPEMFile)
            started.append { await responder.stop() }
            let postgres = try await PostgresHarness()
            started.append { await postgres.stop() }
            let root = try await TestProcess.run("curl", ["-sS", "--max-time", "10", "--cacert", pebble.httpsRootPEMFile, pebble.issuingRootURL()],
                                                 timeout: .seconds(20))
            guard root.status == 0, root.output.contains("BEGIN CERTIFICATE") else { throw TestSupportError("Pebble's root: \(root.output)") }
            try root.output.write(toFile: work.file("pebble-root.pem"), atomically: true, encoding: .utf8)
            self.work = work
            self.responder = responder
            self.pebble = pebble
            self.postgres = postgres
            self.rootPEMFile = work.file("pebble-root.pem")
            self.names = names
            self.backend = backend
            self.extraArguments = arguments
        } catch {
            for stop in started.reversed() { await stop() }
            throw error
        }
    }

    /// The port every instance serves HTTPS on (where Pebble validates tls-alpn-01).
    var httpsPort: Int { pebble.tlsPort }

    /// Starts instance `index` on its address and waits (bounded) until it listens.
    func start(_ index: Int) async throws {
        let address = Self.addresses[index]
        var arguments = [
            "--backend", backend, "--threads", "1", "--host", address,
            "--https-port", "\(pebble.tlsPort)", "--http-port", "\(pebble.httpPort)",
            "--directory", pebble.directoryURL, "--ca-roots", pebble.httpsRootPEMFile, "--email", "ops@example.com", "--accept-tos",
            "--storage", postgres.url, "--log-level", "info",
        ]
        for name in names { arguments += ["--domain", name] }
        arguments += extraArguments
        let process = try TestProcess(try BuiltProduct.path("autocert-server"), arguments,
                                      environment: ["AUTOCERT_POSTGRES_PASSWORD": postgres.password])
        processes.withLock { $0[index] = process }
        try await Poll.until("the instance on \(address) to listen", timeout: .seconds(30)) {
            guard process.isRunning else { throw TestSupportError("the instance on \(address) exited:\n\(process.outputText)") }
            return FreePort.isAccepting(pebble.tlsPort, host: address)
        }
    }

    /// Starts the three instances.
    func startAll() async throws {
        for index in Self.addresses.indices { try await start(index) }
    }

    /// The process of instance `index`, while it runs.
    func process(_ index: Int) -> TestProcess? { processes.withLock { $0[index] } }

    /// Kills instance `index` with SIGKILL (no shutdown of any kind) and waits for it to exit.
    func kill9(_ index: Int) async {
        guard let process = processes.withLock({ $0.removeValue(forKey: index) }) else { return }
        kill(process.pid, SIGKILL)
        _ = try? await process.waitForExit(timeout: .seconds(10))
        finished.withLock { $0.append(process.outputText) }
    }

    /// Every instance's output so far, killed instances' included.
    var outputs: [String] {
        finished.withLock { $0 } + processes.withLock { $0.sorted { $0.key < $1.key }.map(\.value.outputText) }
    }

    /// How many times an instance's log says `text` about `name` (one line each).
    func count(_ text: String, name: String? = nil) -> Int {
        outputs.joined(separator: "\n").split(separator: "\n").filter { line in
            line.contains(text) && (name.map { line.contains($0) } ?? true)
        }.count
    }

    /// The orders that reached Pebble: the ACME client logs each when Pebble answered 201.
    var ordersCreated: Int { count("ACME order created") }

    /// A TLS handshake for `name` with instance `index` (`openssl s_client -status`, the chain
    /// verified against Pebble's root); its transcript.
    func handshake(_ name: String, instance index: Int, timeout: Duration = .seconds(60)) async throws -> String {
        let (_, output) = try await TestProcess.run("openssl", [
            "s_client", "-connect", "\(Self.addresses[index]):\(pebble.tlsPort)", "-servername", name, "-status",
            "-CAfile", rootPEMFile, "-verify_return_error",
        ], stdin: "", timeout: timeout)
        return output
    }

    /// Whether an `s_client` transcript shows a chain verified to Pebble's root and a staple
    /// saying good (``verifiedStaple(_:instance:)`` verifies the staple itself).
    static func isStapledAndVerified(_ transcript: String) -> Bool {
        transcript.contains("Verify return code: 0 (ok)") && transcript.contains("Cert Status: good")
    }

    /// The staple instance `index` sends for `name`, received by `gnutls-cli` and verified by this
    /// package's `ocsp verify` against the chain received (RFC 6960 §3.2); its output, or nil
    /// when either step failed.
    func verifiedStaple(_ name: String, instance index: Int) async throws -> String? {
        let staple = work.file("staple-\(name)-\(index).der"), chain = work.file("chain-\(name)-\(index).pem")
        _ = try await TestProcess.run("gnutls-cli", [
            "--port", "\(pebble.tlsPort)", "--sni-hostname", name, "--verify-hostname", name, "--ocsp", "--x509cafile", rootPEMFile,
            "--save-ocsp", staple, "--save-cert", chain, Self.addresses[index],
        ], stdin: "", timeout: .seconds(30))
        let verify = try await TestProcess.run(try BuiltProduct.path("ocsp"), ["verify", staple, "--cert", chain], timeout: .seconds(30))
        return verify.status == 0 ? verify.output : nil
    }

    /// The storage names PostgreSQL holds now (as its superuser).
    func storedNames() async throws -> [String] {
        try await postgres.superuser("SELECT name FROM autocert_blobs ORDER BY name", database: postgres.database)
            .split(separator: "\n").map(String.init)
    }

    /// Stops every process by PID and removes the files.
    func stop() async {
        for index in Self.addresses.indices {
            if let process = processes.withLock({ $0.removeValue(forKey: index) }) { await process.stop() }
        }
        await responder.stop()
        await pebble.stop()
        await postgres.stop()
        work.remove()
    }
}
