@testable import AutocertOCSP
import Crypto
import Foundation
import SwiftASN1
import Testing
import X509

/// The delegated responder rules: validity at the verification time and at producedAt
/// (RFC 6960 §4.2.2.2), and RFC 5280 §4.2's rule for its critical extensions.
extension OCSPVerifierTests {
    /// A delegate with id-kp-OCSPSigning, valid from `notBefore` to `notAfter`.
    func delegate(
        notBefore: Date = Date() - 86_400, notAfter: Date = Date() + 86_400 * 30, extensions: [Certificate.Extension] = []
    ) throws -> (certificate: Certificate, key: P256.Signing.PrivateKey) {
        try authority.issue("OCSP Responder", ocspURL: nil, ocspSigning: true, notBefore: notBefore, notAfter: notAfter, extensions: extensions)
    }

    // MARK: Validity

    /// The hole: whoever keeps an expired responder key could mint answers with a
    /// producedAt inside the old validity. OpenSSL: "certificate has expired".
    @Test("an expired delegate is refused even when producedAt is back-dated into its validity")
    func expiredDelegateWithBackDatedProducedAtIsUnauthorized() throws {
        let expired = try delegate(notBefore: Date() - 20 * 3_600, notAfter: Date() - 2 * 3_600)
        var response = signed(by: expired)
        response.producedAt = Date() - 3 * 3_600
        response.thisUpdate = Date() - 3 * 3_600
        expectError(.unauthorizedSigner, try response.build())
    }

    @Test("a delegate not yet valid is refused even when producedAt is set inside its validity")
    func notYetValidDelegateWithFutureProducedAtIsUnauthorized() throws {
        let early = try delegate(notBefore: Date() + 3_600, notAfter: Date() + 86_400 * 10)
        var response = signed(by: early)
        response.producedAt = Date() + 2 * 3_600
        expectError(.unauthorizedSigner, try response.build())
    }

    @Test("a delegate's validity at the verification time allows the clock skew, and no more")
    func delegateValidityAllowsTheClockSkew() throws {
        let justExpired = try delegate(notBefore: Date() - 86_400, notAfter: Date() - 120)
        #expect(try verifier.verify(signed(by: justExpired).build()).status == .good)
        let expired = try delegate(notBefore: Date() - 86_400, notAfter: Date() - 600)
        expectError(.unauthorizedSigner, try signed(by: expired).build())
    }

    /// A delegate valid now did not exist when the response says it was produced.
    @Test("a delegate valid now but not at producedAt is refused")
    func delegateNotValidAtProducedAtIsUnauthorized() throws {
        let recent = try delegate(notBefore: Date() - 1_800)
        var response = signed(by: recent)
        response.producedAt = Date() - 3_600
        expectError(.unauthorizedSigner, try response.build())
    }

    // MARK: Critical extensions (RFC 5280 §4.2)

    @Test("a delegate with an unknown critical extension is refused")
    func delegateWithUnknownCriticalExtensionIsUnauthorized() throws {
        let unknown = Certificate.Extension(oid: [1, 2, 3, 4, 5], critical: true, value: [0x05, 0x00])
        expectError(.unauthorizedSigner, try signed(by: delegate(extensions: [unknown])).build())
    }

    @Test("a delegate with an unknown non-critical extension verifies")
    func delegateWithUnknownNonCriticalExtensionVerifies() throws {
        let unknown = Certificate.Extension(oid: [1, 2, 3, 4, 5], critical: false, value: [0x05, 0x00])
        #expect(try verifier.verify(signed(by: delegate(extensions: [unknown])).build()).status == .good)
    }

    /// What real delegates carry (GlobalSign: critical keyUsage; CAcert, GnuTLS: critical
    /// basicConstraints), plus a critical SAN and id-pkix-ocsp-nocheck.
    @Test("a delegate's critical basicConstraints, keyUsage, SAN and ocsp-nocheck are understood")
    func delegateWithUnderstoodCriticalExtensionsVerifies() throws {
        let understood = try [
            Certificate.Extension(BasicConstraints.notCertificateAuthority, critical: true),
            Certificate.Extension(KeyUsage(digitalSignature: true), critical: true),
            Certificate.Extension(SubjectAlternativeNames([.dnsName("ocsp.test")]), critical: true),
            Certificate.Extension(oid: [1, 3, 6, 1, 5, 5, 7, 48, 1, 5], critical: true, value: [0x05, 0x00]),
        ]
        #expect(try verifier.verify(signed(by: delegate(extensions: understood)).build()).status == .good)
    }

    /// RFC 5280 §4.2.1.1/§4.2.1.2: conforming CAs mark them non-critical; OpenSSL refuses
    /// critical ones, and so do we (docs/ocsp-vector-decisions.md).
    @Test("a delegate with a critical subject or authority key identifier is refused")
    func delegateWithCriticalKeyIdentifierIsUnauthorized() throws {
        let ski = Certificate.Extension(oid: .X509ExtensionID.subjectKeyIdentifier, critical: true, value: [0x04, 0x02, 0x01, 0x02])
        expectError(.unauthorizedSigner, try signed(by: delegate(extensions: [ski])).build())
        let aki = Certificate.Extension(oid: .X509ExtensionID.authorityKeyIdentifier, critical: true, value: [0x30, 0x04, 0x80, 0x02, 0x01, 0x02])
        expectError(.unauthorizedSigner, try signed(by: delegate(extensions: [aki])).build())
    }

    // MARK: Untrusted certificates

    @Test("a delegate not in the response is found among the untrusted certificates")
    func delegateGivenAsUntrustedVerifies() throws {
        let outside = try delegate()
        let response = try signed(by: outside, includeCertificate: false).build()
        expectError(.unauthorizedSigner, response)
        let answer = try OCSPVerifier(subject: subject, untrustedCertificates: [outside.certificate]).verify(response)
        #expect(answer.signer == .delegated(outside.certificate.derBytes))
    }

    /// Being listed grants nothing: every delegate rule still applies.
    @Test("an untrusted certificate must pass every delegate rule")
    func untrustedDelegateMustPassTheRules() throws {
        let withoutEKU = try authority.issue("server", ocspURL: nil, ocspSigning: false)
        let expired = try delegate(notBefore: Date() - 20 * 3_600, notAfter: Date() - 2 * 3_600)
        let stranger = try TestAuthority(name: "Unit Test CA").issue("OCSP Responder", ocspURL: nil, ocspSigning: true)
        for outside in [withoutEKU, expired, stranger] {
            var response = signed(by: outside, includeCertificate: false)
            response.producedAt = Date() - 3 * 3_600
            let verifier = OCSPVerifier(subject: subject, untrustedCertificates: [outside.certificate])
            let error = #expect(throws: OCSPError.self) { try verifier.verify(response.build()) }
            #expect(error?.code == .unauthorizedSigner)
        }
    }

    @Test("untrusted certificates change nothing for an issuer-signed response")
    func untrustedCertificatesLeaveIssuerSignedAlone() throws {
        let verifier = OCSPVerifier(subject: subject, untrustedCertificates: [try delegate().certificate, authority.certificate])
        #expect(try verifier.verify(builder().build()).signer == .issuer)
    }

    /// Real responder material: BoringSSL's indirect responder, left out of one response,
    /// taken from the other.
    @Test("BoringSSL's ocsp_sign_indirect_missing verifies with its responder given as untrusted")
    func boringSSLIndirectMissingVerifiesWithUntrustedResponder() throws {
        let base = "boringssl/ocsp_unittest/"
        let responder = try ResponseRunner.certificate(.embedded(inResponse: base + "ocsp_sign_indirect.resp.der"))
        let missing = try VectorFixtures.der(base + "ocsp_sign_indirect_missing.resp.der")
        let subject = try ResponseRunner.subject(cert: .file(base + "ocsp_sign_indirect_missing.cert.pem"), issuer: .file(base + "ocsp_sign_indirect_missing.ca.pem")).get()
        let policy = OCSPVerificationPolicy(now: ResponseRunner.date("2017-03-05T00:00:00Z"))
        #expect(ResponseRunner.verify(missing, subject: subject, certID: nil, policy: policy) == .rejected(.unauthorizedSigner))
        #expect(ResponseRunner.verify(missing, subject: subject, certID: nil, policy: policy, untrusted: [responder]) == .good)
    }
}
