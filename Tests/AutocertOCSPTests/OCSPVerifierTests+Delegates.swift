import AutocertOCSP
import Crypto
import Foundation
import SwiftASN1
import Testing
import X509

/// The delegated responder rules: validity at the verification time and at producedAt
/// (RFC 6960 §4.2.2.2).
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
}
