import AutocertTestSupport
import Foundation
import X509

/// What `openssl ocsp` concludes about a response, read from its output.
///
/// OpenSSL prints "Response verify OK" or "Response Verify Failure" (the signer, its chain
/// at `-attime`, the RFC 6960 §4.2.2.2 checks), then for the certificate either
/// "WARNING: Status times invalid." (thisUpdate or nextUpdate fails its 5-minute check
/// against the real clock: the exit status stays 0) or nothing, then the status. A status
/// counts only when the response verified and its times were valid.
enum OpenSSLOCSPVerdict: Hashable, Sendable {
    case good
    case revoked
    case unknown
    /// Refused, with OpenSSL's reason: the X509 verify error ("certificate has expired")
    /// when there is one, else the reason of its first error line ("status expired").
    case refused(String)

    var accepts: Bool {
        if case .refused = self { return false }
        return true
    }

    /// Runs `openssl ocsp -respin` on `response` for `leaf`: `issuer` is both the issuer
    /// and the only trust anchor (`-issuer`, `-CAfile`), `untrusted` goes to
    /// `-verify_other`, and certificates are checked at `time` (`-attime`).
    static func check(
        _ response: [UInt8], leaf: Certificate, issuer: Certificate, untrusted: [Certificate], at time: Date
    ) async throws -> (verdict: OpenSSLOCSPVerdict, output: String) {
        let directory = try TemporaryDirectory(prefix: "crafted-ocsp")
        defer { directory.remove() }
        let (responsePath, leafPath, issuerPath) = (directory.file("response.der"), directory.file("leaf.pem"), directory.file("issuer.pem"))
        try Data(response).write(to: URL(fileURLWithPath: responsePath))
        try CraftedPKI.writePEM([leaf], to: leafPath)
        try CraftedPKI.writePEM([issuer], to: issuerPath)
        var arguments = ["ocsp", "-respin", responsePath, "-issuer", issuerPath, "-cert", leafPath, "-CAfile", issuerPath,
                         "-no_nonce", "-attime", String(Int(time.timeIntervalSince1970))]
        if !untrusted.isEmpty {
            let untrustedPath = directory.file("untrusted.pem")
            try CraftedPKI.writePEM(untrusted, to: untrustedPath)
            arguments += ["-verify_other", untrustedPath]
        }
        let (status, output) = try await TestProcess.run("openssl", arguments)
        return (verdict(status: status, output: output, leafPath: leafPath), output)
    }

    /// Reads the verdict from the exit status and the output.
    static func verdict(status: Int32, output: String, leafPath: String) -> OpenSSLOCSPVerdict {
        guard status == 0, output.contains("Response verify OK"), !output.contains("Status times invalid"),
              let line = output.split(separator: "\n").first(where: { $0.hasPrefix(leafPath + ": ") })
        else { return .refused(reason(in: output)) }
        switch line.dropFirst(leafPath.count + 2).trimmingCharacters(in: .whitespaces) {
        case "good": return .good
        case "revoked": return .revoked
        case "unknown": return .unknown
        default: return .refused("no status for the certificate")
        }
    }

    /// The reason in an OpenSSL 3 error line `pid:error:code:library:function:reason:file:line:data`.
    private static func reason(in output: String) -> String {
        let lines = output.split(separator: "\n")
        if let line = lines.first(where: { $0.contains("Verify error: ") }), let range = line.range(of: "Verify error: ") {
            return String(line[range.upperBound...])
        }
        guard let line = lines.first(where: { $0.contains(":error:") }) else { return "no reason printed" }
        let fields = line.split(separator: ":", omittingEmptySubsequences: false)
        return fields.count > 5 ? String(fields[5]) : String(line)
    }
}
