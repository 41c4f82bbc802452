import Foundation

/// A throwaway PKI made with the `openssl` command: a CA, optional delegated OCSP
/// responder certificates, and leaf certificates whose AIA names an OCSP URL.
public struct TestPKI: Sendable {
    /// The key type of every certificate of this PKI.
    public enum KeyType: Sendable {
        case ecdsaP256
        case rsa2048

        var arguments: [String] {
            switch self {
            case .ecdsaP256: ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
            case .rsa2048: ["-newkey", "rsa:2048"]
            }
        }
    }

    /// A certificate and its key, as PEM files.
    public struct Issued: Sendable {
        public let certificatePath: String
        public let keyPath: String
        /// The serial in upper-case hex, as `openssl x509 -serial` prints it.
        public let serialHex: String
        public let notAfter: Date
        /// The certificate followed by the CA: what `ocsp check` reads.
        public let chainPath: String
    }

    public let directory: String
    public let keyType: KeyType
    public let ca: Issued

    /// Creates a CA called `name` in `directory`.
    public static func create(in directory: String, name: String = "Autocert Test CA", keyType: KeyType = .ecdsaP256) async throws -> TestPKI {
        let key = "\(directory)/ca.key", cert = "\(directory)/ca.pem"
        try await openssl(["req", "-x509"] + keyType.arguments + ["-nodes", "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=\(name)",
                                                                   "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"])
        let ca = try await describe(certificate: cert, key: key, chain: cert)
        return TestPKI(directory: directory, keyType: keyType, ca: ca)
    }

    /// Issues a leaf for `name` whose AIA OCSP URL is `ocspURL` (none when nil).
    public func issueLeaf(_ name: String, ocspURL: String?, days: Int = 10) async throws -> Issued {
        var extensions = "subjectAltName=DNS:\(name)\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
        if let ocspURL { extensions += "authorityInfoAccess=OCSP;URI:\(ocspURL)\n" }
        return try await issue(name: name, file: "leaf-\(name)", extensions: extensions, days: days)
    }

    /// Issues a delegated OCSP responder certificate (RFC 6960 §4.2.2.2), with the
    /// id-kp-OCSPSigning EKU unless `withOCSPSigning` is false.
    public func issueResponder(_ name: String = "OCSP Responder", withOCSPSigning: Bool = true) async throws -> Issued {
        let usage = withOCSPSigning ? "extendedKeyUsage=OCSPSigning\n" : "extendedKeyUsage=serverAuth\n"
        return try await issue(name: name, file: "responder-\(name.replacingOccurrences(of: " ", with: "-"))", extensions: "basicConstraints=CA:FALSE\n" + usage, days: 10)
    }

    private func issue(name: String, file: String, extensions: String, days: Int) async throws -> Issued {
        let base = "\(directory)/\(file)"
        try await Self.openssl(["req"] + keyType.arguments + ["-nodes", "-keyout", "\(base).key", "-out", "\(base).csr", "-subj", "/CN=\(name)"])
        try extensions.write(toFile: "\(base).ext", atomically: true, encoding: .utf8)
        try await Self.openssl(["x509", "-req", "-in", "\(base).csr", "-CA", ca.certificatePath, "-CAkey", ca.keyPath, "-CAcreateserial",
                                "-out", "\(base).pem", "-days", "\(days)", "-extfile", "\(base).ext"])
        let chain = "\(base)-chain.pem"
        let pem = try String(contentsOfFile: "\(base).pem", encoding: .utf8) + String(contentsOfFile: ca.certificatePath, encoding: .utf8)
        try pem.write(toFile: chain, atomically: true, encoding: .utf8)
        return try await Self.describe(certificate: "\(base).pem", key: "\(base).key", chain: chain)
    }

    private static func describe(certificate: String, key: String, chain: String) async throws -> Issued {
        let (_, serial) = try await openssl(["x509", "-in", certificate, "-noout", "-serial"])
        let (_, end) = try await openssl(["x509", "-in", certificate, "-noout", "-enddate"])
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "MMM d HH:mm:ss yyyy zzz"
        let endText = end.replacingOccurrences(of: "notAfter=", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
            .split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        guard let notAfter = formatter.date(from: endText) else { throw TestSupportError("cannot read notAfter '\(endText)'") }
        return Issued(
            certificatePath: certificate, keyPath: key,
            serialHex: serial.replacingOccurrences(of: "serial=", with: "").trimmingCharacters(in: .whitespacesAndNewlines),
            notAfter: notAfter, chainPath: chain)
    }

    /// Runs `openssl` with `arguments`; throws with its output when it fails.
    @discardableResult
    public static func openssl(_ arguments: [String]) async throws -> (Int32, String) {
        let (status, output) = try await TestProcess.run("openssl", arguments)
        guard status == 0 else { throw TestSupportError("openssl \(arguments.joined(separator: " ")) failed: \(output)") }
        return (status, output)
    }
}
