import AutocertOCSP
import AutocertTestSupport
import Foundation
import Testing

/// `ocsp verify` with untrusted certificates, and with every case of OpenSSL's OCSP recipe.
extension OCSPCommandTests {
    @Test("verify --untrusted supplies a delegated responder the response does not carry")
    func verifyUntrustedSuppliesTheDelegate() async throws {
        let ocsp = try Self.executable
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pki = try CraftedPKI()
        let (leaf, issuer) = (directory.file("leaf.pem"), directory.file("issuer.pem"))
        try CraftedPKI.writePEM([pki.leaf.certificate], to: leaf)
        try CraftedPKI.writePEM([pki.authority.certificate], to: issuer)
        let delegate = try pki.delegate(), withoutEKU = try pki.delegate(ocspSigning: false)
        let (delegatePEM, withoutEKUPEM, emptyPEM) = (directory.file("delegate.pem"), directory.file("no-eku.pem"), directory.file("empty.pem"))
        try CraftedPKI.writePEM([withoutEKU.certificate, delegate.certificate], to: delegatePEM)
        try CraftedPKI.writePEM([withoutEKU.certificate], to: withoutEKUPEM)
        try "".write(toFile: emptyPEM, atomically: true, encoding: .utf8)
        let response = directory.file("response.der")
        try Data(pki.response(signedBy: delegate, embed: false).build()).write(to: URL(fileURLWithPath: response))
        let verify = ["verify", response, "--cert", leaf, "--issuer", issuer]

        let without = try await TestProcess.run(ocsp, verify)
        #expect(without.status == 3)
        #expect(without.output.contains("unauthorizedSigner") && without.output.contains("pass it as untrusted"), "\(without.output)")
        let with = try await TestProcess.run(ocsp, verify + ["--untrusted", delegatePEM])
        #expect(with.status == 0, "\(with.output)")
        #expect(with.output.hasPrefix("good"))
        let other = try await TestProcess.run(ocsp, verify + ["--untrusted", withoutEKUPEM])
        #expect(other.status == 3)
        #expect(other.output.contains("unauthorizedSigner"), "\(other.output)")
        let empty = try await TestProcess.run(ocsp, verify + ["--untrusted", emptyPEM])
        #expect(empty.status == 3)
        #expect(empty.output.contains("holds no CERTIFICATE block"), "\(empty.output)")
    }

    /// Each case of OpenSSL's recipe (test/recipes/80-test_ocsp.t, openssl/CASES.tsv) as
    /// `ocsp verify RESPONSE --cert EE --issuer ISSUER --untrusted UNTRUSTED --at producedAt`:
    /// the issuer is the file OpenSSLGroups.issuer(for:) picks (our verifier takes the
    /// issuer, not a trust store), the untrusted file is the recipe's own.
    @Test("verify expresses every case of OpenSSL's OCSP recipe", arguments: VectorManifest.openSSLCases)
    func verifyRecipeCase(_ testCase: OpenSSLCase) async throws {
        let ocsp = try Self.executable
        guard case .file(let issuer, index: 0) = try OpenSSLGroups.issuer(for: testCase) else {
            Issue.record("\(testCase.id): the issuer is not the first certificate of a file")
            return
        }
        let producedAt = try ResponseRunner.time(.producedAt, der: VectorFixtures.der(testCase.response))
        let path = { (file: String) in VectorFixtures.url(file).path }
        let run = try await TestProcess.run(ocsp, [
            "verify", path(testCase.response), "--cert", path(OpenSSLGroups.certificate(for: testCase)), "--issuer", path(issuer),
            "--untrusted", path(testCase.untrusted), "--at", ISO8601DateFormatter().string(from: producedAt),
        ])
        switch OpenSSLGroups.verdict(group: testCase.group) {
        case .good: #expect(run.status == 0 && run.output.hasPrefix("good"), "\(testCase.id): \(run.output)")
        case .rejected(let code): #expect(run.status == 3 && run.output.contains("\(code)"), "\(testCase.id): \(run.output)")
        default: Issue.record("\(testCase.id): no verdict for group \(testCase.group)")
        }
        #expect((run.status == 0) == (testCase.expectedExit == 0), "\(testCase.id): OpenSSL's recipe expects exit \(testCase.expectedExit)")
    }
}
