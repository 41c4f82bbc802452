import AutocertTestSupport
import Foundation

/// `autocert-demo-ca`: a local ACME CA for demos and manual testing.
///
/// Starts Pebble (Let's Encrypt's ACME test server) with pebble-challtestsrv resolving every
/// name to 127.0.0.1, configured to write a local OCSP responder into every certificate,
/// and that responder: a real `openssl ocsp` signing with Pebble's intermediate, in step with
/// what Pebble issues. Everything binds 127.0.0.1. It writes the addresses to the file given
/// as its last argument (shell `KEY=value` lines), keeps the number of OCSP requests answered
/// so far in `ENV_FILE.ocsp-requests` (rewritten every 200 ms), and runs until SIGTERM or
/// SIGINT. `pebble-challtestsrv`'s management API (`CHALLTESTSRV_MANAGEMENT`, e.g. `/add-a`)
/// points names at other loopback addresses.
///
/// `AUTOCERT_DEMO_OCSP_VALIDITY_MINUTES` sets how long the responder's answers are valid
/// (default 60), for watching refreshes.
///
/// Options (before or after ENV_FILE):
/// - `--postgres`: also start a throwaway PostgreSQL (its own data directory, 127.0.0.1, a free
///   port; as the `postgres` user when root) for a cluster's shared storage, and add
///   `POSTGRES_URL` (no password), `POSTGRES_PASSWORD_FILE` (0600) and `POSTGRES_PSQL` (a
///   superuser `psql` command line over the server's Unix socket, to look inside);
/// - `--nonce-reject PERCENT`: Pebble's share of good nonces rejected as bad (default 15);
/// - `--ocsp-without-certificates`: the responder embeds no certificate in its answers
///   (`openssl ocsp -resp_no_certs`; Caddy 2.6 rejects an issuer-signed answer that embeds the issuer).
@main
struct DemoCA {
    static let usage = "usage: autocert-demo-ca [--postgres] [--nonce-reject PERCENT] [--ocsp-without-certificates] ENV_FILE\n"

    static func main() async throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        var options = PebbleHarness.Options()
        var includeSignerCertificate = true
        var withPostgres = false
        var envFile: String?
        while !arguments.isEmpty {
            switch arguments.removeFirst() {
            case "--postgres":
                withPostgres = true
            case "--nonce-reject":
                guard let percent = arguments.first.flatMap({ Int($0) }), (0...100).contains(percent) else { fail("--nonce-reject takes a percentage, 0 to 100") }
                arguments.removeFirst()
                options.nonceRejectPercent = percent
            case "--ocsp-without-certificates":
                includeSignerCertificate = false
            case let other where other.hasPrefix("-"):
                fail("unknown option \(other)")
            case let path:
                guard envFile == nil else { fail("one ENV_FILE, not \(envFile!) and \(path)") }
                envFile = path
            }
        }
        guard let envFile else { fail("the ENV_FILE argument is missing") }
        let work = try TemporaryDirectory(prefix: "autocert-demo-ca")
        let validity = ProcessInfo.processInfo.environment["AUTOCERT_DEMO_OCSP_VALIDITY_MINUTES"].flatMap(Int.init) ?? 60
        let responder = try PebbleOCSPResponder(directory: work.path, validityMinutes: validity)
        options.ocspResponderURL = responder.url
        let pebble = try await PebbleHarness(options)
        try await responder.start(managementURL: pebble.managementURL, managementRootPEMFile: pebble.httpsRootPEMFile,
                                  includeSignerCertificate: includeSignerCertificate)

        let postgres = withPostgres ? try await PostgresHarness() : nil
        var lines = [
            "ACME_DIRECTORY=\(pebble.directoryURL)",
            "ACME_CA_ROOTS=\(pebble.httpsRootPEMFile)",
            "PEBBLE_MANAGEMENT=\(pebble.managementURL)",
            "HTTP01_PORT=\(pebble.httpPort)",
            "TLSALPN01_PORT=\(pebble.tlsPort)",
            "OCSP_RESPONDER=\(responder.url)",
            "CHALLTESTSRV_MANAGEMENT=http://127.0.0.1:\(pebble.challengeServerManagementPort)",
            "OCSP_REQUESTS_FILE=\(envFile).ocsp-requests",
        ]
        if let postgres {
            let passwordFile = work.file("postgres-password")
            guard FileManager.default.createFile(atPath: passwordFile, contents: Data(postgres.password.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw TestSupportError("cannot write \(passwordFile)")
            }
            lines += [
                "POSTGRES_URL=\(postgres.url)",
                "POSTGRES_PASSWORD_FILE=\(passwordFile)",
                "POSTGRES_PSQL='\(postgres.superuserCommandLine)'",
            ]
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: envFile, atomically: true, encoding: .utf8)
        FileHandle.standardOutput.write(Data("autocert-demo-ca: ACME directory \(pebble.directoryURL), OCSP responder \(responder.url)\n".utf8))

        let counter = Task {
            while !Task.isCancelled {
                try? "\(responder.requestCount)\n".write(toFile: envFile + ".ocsp-requests", atomically: true, encoding: .utf8)
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        await waitForTermination()
        counter.cancel()
        await postgres?.stop()
        await responder.stop()
        await pebble.stop()
        work.remove()
    }

    /// Says what is wrong with the command line, and exits with EX_USAGE.
    static func fail(_ reason: String) -> Never {
        FileHandle.standardError.write(Data("autocert-demo-ca: \(reason)\n\(usage)".utf8))
        exit(64)
    }

    /// Returns when the process receives SIGTERM or SIGINT.
    static func waitForTermination() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = Once(continuation)
            for signalNumber in [SIGTERM, SIGINT] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler { once.resume() }
                source.resume()
                Self.sources.append(source)
            }
        }
    }

    nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []
}

/// Resumes a continuation once, however many signals arrive.
final class Once: @unchecked Sendable {
    private var continuation: CheckedContinuation<Void, Never>?
    private let lock = NSLock()

    init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }

    func resume() {
        lock.lock()
        let pending = continuation
        continuation = nil
        lock.unlock()
        pending?.resume()
    }
}
