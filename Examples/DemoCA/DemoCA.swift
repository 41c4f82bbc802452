import AutocertTestSupport
import Foundation

/// `autocert-demo-ca`: a local ACME CA for demos and manual testing.
///
/// Starts Pebble (Let's Encrypt's ACME test server) with pebble-challtestsrv resolving every
/// name to 127.0.0.1, configured to write a local OCSP responder into every certificate,
/// and that responder: a real `openssl ocsp` signing with Pebble's intermediate, in step with
/// what Pebble issues. Everything binds 127.0.0.1. It writes the addresses to the file given
/// as its last argument (shell `KEY=value` lines) and runs until SIGTERM or SIGINT.
///
/// Options (before ENV_FILE), for benchmarks that run other ACME clients against it:
/// - `--nonce-reject PERCENT`: Pebble's share of good nonces rejected as bad (default 15);
/// - `--ocsp-without-certificates`: the responder embeds no certificate in its answers
///   (`openssl ocsp -resp_no_certs`; Caddy 2.6 rejects an issuer-signed answer that embeds the issuer).
@main
struct DemoCA {
    static let usage = "usage: autocert-demo-ca [--nonce-reject PERCENT] [--ocsp-without-certificates] ENV_FILE\n"

    static func main() async throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        var options = PebbleHarness.Options()
        var includeSignerCertificate = true
        while arguments.count > 1 {
            switch arguments.removeFirst() {
            case "--nonce-reject":
                guard let percent = Int(arguments.removeFirst()), (0...100).contains(percent) else { fail("--nonce-reject takes a percentage, 0 to 100") }
                options.nonceRejectPercent = percent
            case "--ocsp-without-certificates":
                includeSignerCertificate = false
            case let other:
                fail("unknown option \(other)")
            }
        }
        guard let envFile = arguments.first, !envFile.hasPrefix("--") else { fail("the ENV_FILE argument is missing") }
        let work = try TemporaryDirectory(prefix: "autocert-demo-ca")
        let responder = try PebbleOCSPResponder(directory: work.path)
        options.ocspResponderURL = responder.url
        let pebble = try await PebbleHarness(options)
        try await responder.start(managementURL: pebble.managementURL, managementRootPEMFile: pebble.httpsRootPEMFile,
                                  includeSignerCertificate: includeSignerCertificate)

        let lines = [
            "ACME_DIRECTORY=\(pebble.directoryURL)",
            "ACME_CA_ROOTS=\(pebble.httpsRootPEMFile)",
            "PEBBLE_MANAGEMENT=\(pebble.managementURL)",
            "HTTP01_PORT=\(pebble.httpPort)",
            "TLSALPN01_PORT=\(pebble.tlsPort)",
            "OCSP_RESPONDER=\(responder.url)",
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: envFile, atomically: true, encoding: .utf8)
        FileHandle.standardOutput.write(Data("autocert-demo-ca: ACME directory \(pebble.directoryURL), OCSP responder \(responder.url)\n".utf8))

        await waitForTermination()
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
