import Foundation
import SwiftASN1
import X509

extension OCSPVerifier {
    /// The extensions a delegated responder's certificate may mark critical: the ones this
    /// verifier processes, or that ask nothing of it (RFC 5280 §4.2).
    ///
    /// - extendedKeyUsage: must hold id-kp-OCSPSigning (RFC 6960 §4.2.2.2).
    /// - basicConstraints: limits what the certificate may issue; a delegate issues nothing here.
    /// - keyUsage: recognised; not enforced (as OpenSSL and Go), see docs/ocsp.md.
    /// - subjectAltName: names only.
    /// - id-pkix-ocsp-nocheck: "do not check my revocation" (RFC 6960 §4.2.2.2.1); this
    ///   verifier does not check a delegate's revocation anyway.
    ///
    /// Anything else critical refuses the delegate, as OpenSSL's "unhandled critical
    /// extension" does, including authority and subject key identifiers, which RFC 5280
    /// §4.2.1.1–2 requires to be non-critical.
    static let understoodDelegateExtensions: Set<ASN1ObjectIdentifier> = [
        .X509ExtensionID.extendedKeyUsage,
        .X509ExtensionID.basicConstraints,
        .X509ExtensionID.keyUsage,
        .X509ExtensionID.subjectAlternativeName,
        OCSPOID.noCheck,
    ]

    /// Why `candidate` may not sign for the issuer, or nil when it may (RFC 6960 §4.2.2.2;
    /// the times are explained at ``identifySigner(_:producedAt:now:clockSkew:)``).
    func delegationProblem(_ candidate: Certificate, fields: OCSPCertificateFields, producedAt: Date, now: Date, clockSkew: TimeInterval) -> String? {
        guard fields.issuerName == subject.issuerFields.subjectName,
              subject.issuerPublicKey.isValidSignature(candidate.signature, for: candidate)
        else {
            return "the delegated responder '\(candidate.subject)' was not issued by '\(subject.issuerName)'"
        }
        let usages = (try? candidate.extensions.extendedKeyUsage) ?? nil
        guard let usages, usages.contains(.ocspSigning) else {
            return "the delegated responder '\(candidate.subject)' lacks the id-kp-OCSPSigning extended key usage"
        }
        if let unknown = candidate.extensions.first(where: { $0.critical && !Self.understoodDelegateExtensions.contains($0.oid) }) {
            return "the delegated responder '\(candidate.subject)' carries critical extension \(unknown.oid), which this client does not process (RFC 5280 §4.2); the CA must not mark it critical"
        }
        let (notBefore, notAfter) = (candidate.notValidBefore, candidate.notValidAfter)
        guard notBefore.timeIntervalSince(now) <= clockSkew, now.timeIntervalSince(notAfter) <= clockSkew else {
            return "the delegated responder '\(candidate.subject)' is not valid at \(iso(now)) (valid \(iso(notBefore)) to \(iso(notAfter))); the responder must sign with a current certificate"
        }
        guard notBefore <= producedAt, producedAt <= notAfter else {
            return "the delegated responder '\(candidate.subject)' was not valid at producedAt \(iso(producedAt)) (valid \(iso(notBefore)) to \(iso(notAfter)))"
        }
        return nil
    }
}
