import AutocertACME
import AutocertTestSupport
import Foundation

/// Serves one tls-alpn-01 challenge certificate with `openssl s_server -alpn acme-tls/1`
/// (RFC 8737 §3) on 127.0.0.1:`port`, until stopped by PID.
///
/// One certificate per server: s_server applies `-alpn` only to its first certificate
/// context (not to `-cert2`), so names are answered one after another.
final class TLSALPNResponder: Sendable {
    private let process: TestProcess
    let port: Int

    init(port: Int, certificate: TLSALPNChallengeCertificate, in directory: TemporaryDirectory) async throws {
        let certFile = directory.file("alpn-\(certificate.name).pem")
        let keyFile = directory.file("alpn-\(certificate.name).key")
        try certificate.certificatePEM.write(toFile: certFile, atomically: true, encoding: .utf8)
        try certificate.privateKeyPEM.write(toFile: keyFile, atomically: true, encoding: .utf8)
        process = try TestProcess("openssl", [
            "s_server", "-accept", "127.0.0.1:\(port)", "-alpn", TLSALPNChallengeCertificate.alpnProtocol,
            "-cert", certFile, "-key", keyFile, "-www", "-quiet",
        ])
        self.port = port
        let process = self.process
        do {
            try await Poll.until("openssl s_server on \(port)", timeout: .seconds(10)) {
                guard process.isRunning else { throw TestSupportError("s_server exited: \(process.outputText)") }
                return FreePort.isAccepting(port)
            }
        } catch {
            await process.stop()
            throw error
        }
    }

    /// Stops s_server by PID. SIGKILL at once: s_server keeps no state, and children of the
    /// test runner inherit a mask that blocks SIGTERM.
    func stop() async {
        if process.isRunning { kill(process.pid, SIGKILL) }
        await process.stop()
    }
}
