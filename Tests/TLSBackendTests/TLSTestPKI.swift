import AutocertTestSupport
import AutocertTLS
import Foundation

/// A CA, leaves for several names, real OCSP responses from `openssl ocsp`, and a tls-alpn-01
/// challenge certificate (RFC 8737 §3), all made by the openssl CLI in a temporary directory.
struct TLSTestPKI: Sendable {
    let directory: TemporaryDirectory
    var caPath: String { directory.file("ca.pem") }

    struct Leaf: Sendable {
        let name: String
        let certificatePath: String
        /// The leaf, then the CA: what a server is given when its staple must be verifiable.
        let chainPath: String
        let keyPath: String
        let staplePath: String?
        let key: CertifiedKey
    }

    static func create() async throws -> TLSTestPKI {
        let pki = TLSTestPKI(directory: try TemporaryDirectory(prefix: "autocert-tls"))
        try await pki.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                               "-keyout", pki.directory.file("ca.key"), "-out", pki.caPath, "-days", "30",
                               "-subj", "/CN=Autocert TLS Test CA",
                               "-addext", "basicConstraints=critical,CA:TRUE",
                               "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        _ = FileManager.default.createFile(atPath: pki.directory.file("index.txt"), contents: nil)
        return pki
    }

    /// A leaf for `name` and `www.name`, signed by the CA, with a staple when `staple` is true.
    func issue(_ name: String, staple: Bool) async throws -> Leaf {
        let certificate = directory.file("\(name).pem"), key = directory.file("\(name).key")
        let csr = directory.file("\(name).csr"), extensions = directory.file("\(name).ext")
        try "subjectAltName=DNS:\(name),DNS:www.\(name)\nauthorityInfoAccess=OCSP;URI:http://127.0.0.1:9/\n"
            .write(toFile: extensions, atomically: true, encoding: .utf8)
        try await openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                           "-keyout", key, "-out", csr, "-subj", "/CN=\(name)"])
        try await openssl(["x509", "-req", "-in", csr, "-CA", caPath, "-CAkey", directory.file("ca.key"),
                           "-CAcreateserial", "-out", certificate, "-days", "10", "-extfile", extensions])
        var staplePath: String?
        if staple { staplePath = try await makeStaple(for: certificate, name: name) }
        let stapleBytes = try staplePath.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }
        let certifiedKey = try CertifiedKey(
            chainPEM: try String(contentsOfFile: certificate, encoding: .utf8),
            privateKeyPEM: try String(contentsOfFile: key, encoding: .utf8), stapleSource: try stapleBytes.map { try StaticStaple($0) })
        let chain = directory.file("\(name).chain.pem")
        try (try String(contentsOfFile: certificate, encoding: .utf8) + String(contentsOfFile: caPath, encoding: .utf8))
            .write(toFile: chain, atomically: true, encoding: .utf8)
        return Leaf(name: name, certificatePath: certificate, chainPath: chain, keyPath: key, staplePath: staplePath, key: certifiedKey)
    }

    /// A self-signed tls-alpn-01 certificate for `name`, with the critical acmeIdentifier
    /// extension (RFC 8737 §3) over a fixed key authorization digest.
    func challenge(_ name: String) async throws -> Leaf {
        let certificate = directory.file("challenge-\(name).pem"), key = directory.file("challenge-\(name).key")
        let digest = String(repeating: "ab", count: 32)
        try await openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                           "-keyout", key, "-out", certificate, "-days", "7", "-subj", "/CN=acme challenge \(name)",
                           "-addext", "subjectAltName=DNS:\(name)",
                           "-addext", "1.3.6.1.5.5.7.1.31=critical,DER:0420\(digest)"])
        let certifiedKey = try CertifiedKey(
            chainPEM: try String(contentsOfFile: certificate, encoding: .utf8),
            privateKeyPEM: try String(contentsOfFile: key, encoding: .utf8))
        return Leaf(name: name, certificatePath: certificate, chainPath: certificate, keyPath: key, staplePath: nil, key: certifiedKey)
    }

    /// Another real, good response for `leaf` (already given a staple by ``issue(_:staple:)``),
    /// valid for `days`: a staple a refresh would bring, whose nextUpdate tells it apart.
    func refreshedStaple(for leaf: Leaf, days: Int) async throws -> (der: [UInt8], nextUpdate: String) {
        let request = directory.file("\(leaf.name).req.der"), response = directory.file("\(leaf.name).\(days).ocsp.der")
        try await openssl(["ocsp", "-index", directory.file("index.txt"), "-rsigner", caPath, "-rkey", directory.file("ca.key"),
                           "-CA", caPath, "-reqin", request, "-respout", response, "-ndays", "\(days)"])
        let (_, text) = try await openssl(["ocsp", "-respin", response, "-resp_text", "-noverify"])
        return (Array(try Data(contentsOf: URL(fileURLWithPath: response))), try Self.nextUpdate(in: text))
    }

    /// The "Next Update" of the OCSP response printed in `text` (by `openssl ocsp -resp_text`
    /// or `openssl s_client -status`).
    static func nextUpdate(in text: String) throws -> String {
        guard let line = text.split(separator: "\n").first(where: { $0.contains("Next Update:") }) else {
            throw TestSupportError("no Next Update in: \(text)")
        }
        return line.trimmingCharacters(in: .whitespaces)
    }

    /// A real, signed OCSP response (status good) from `openssl ocsp` run offline.
    private func makeStaple(for certificate: String, name: String) async throws -> String {
        let (_, serialLine) = try await openssl(["x509", "-in", certificate, "-noout", "-serial"])
        let serial = serialLine.split(separator: "=").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        let expiry = Date().addingTimeInterval(10 * 86_400)
        let formatter = DateFormatter()
        formatter.dateFormat = "yyMMddHHmmss'Z'"
        formatter.timeZone = TimeZone(identifier: "UTC")
        let line = "V\t\(formatter.string(from: expiry))\t\t\(serial)\tunknown\t/CN=\(name)\n"
        let index = directory.file("index.txt")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: index))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(line.utf8))
        try handle.close()
        let request = directory.file("\(name).req.der"), response = directory.file("\(name).ocsp.der")
        try await openssl(["ocsp", "-issuer", caPath, "-cert", certificate, "-no_nonce", "-reqout", request])
        try await openssl(["ocsp", "-index", index, "-rsigner", caPath, "-rkey", directory.file("ca.key"),
                           "-CA", caPath, "-reqin", request, "-respout", response, "-ndays", "5"])
        return response
    }

    @discardableResult
    private func openssl(_ arguments: [String]) async throws -> (Int32, String) {
        let client = try ClientProcess("openssl", arguments, stdin: "")
        let output = try await client.finish(timeout: .seconds(30))
        let status = client.status
        guard status == 0 else { throw TestSupportError("openssl \(arguments.joined(separator: " ")) failed: \(output)") }
        return (status, output)
    }
}
