import AutocertOCSP
import Foundation
import Testing

/// Each crafted response (``CraftedCases``) verified by us and by `openssl ocsp`: both
/// verdicts must be the ones the case states, and where they differ on accepting it the
/// case must say why (docs/ocsp-vector-decisions.md).
///
/// The PKI is the same for both: the CA is the issuer and OpenSSL's only trust anchor, so
/// a delegate means the same to both. OpenSSL checks certificates at `-attime` and
/// thisUpdate/nextUpdate against the real clock, so the cases are dated from the time
/// the test runs.
@Suite("crafted responses, compared with openssl ocsp")
struct CraftedResponsesTests {
    @Test("crafted case", arguments: CraftedCases.all)
    func craftedCase(_ crafted: CraftedCase) async throws {
        let pki = try CraftedPKI()
        let (response, untrusted) = try crafted.make(pki)
        let ours = ResponseRunner.verify(response, subject: pki.subject, certID: nil, policy: OCSPVerificationPolicy(now: pki.now), untrusted: untrusted)
        let openSSL = try await OpenSSLOCSPVerdict.check(response, leaf: pki.leaf.certificate, issuer: pki.authority.certificate, untrusted: untrusted, at: pki.now)
        print("crafted | \(crafted.name) | ours: \(ours) | openssl: \(openSSL.verdict)\(crafted.difference.map { " | differs: \($0)" } ?? "")")

        #expect(ours == crafted.ours, "our verdict")
        #expect(openSSL.verdict == crafted.openSSL, "openssl ocsp said:\n\(openSSL.output)")
        if ours.accepts == openSSL.verdict.accepts {
            #expect(crafted.difference == nil, "we and OpenSSL agree, but the case names a difference")
        } else {
            #expect(crafted.difference != nil, "we \(ours.accepts ? "accept" : "refuse") what OpenSSL \(openSSL.verdict.accepts ? "accepts" : "refuses"), and the case does not say why")
        }
    }
}
