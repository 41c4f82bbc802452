import Foundation
import SwiftASN1
import X509

/// Verifies an OCSP response for one certificate before anyone trusts or staples it.
///
/// Every rule of RFC 6960 §3.2 is enforced, each where it is cited below. The result is an
/// ``OCSPAnswer`` or an ``OCSPError`` that says which rule failed; nothing is returned
/// for a response that failed any rule.
public struct OCSPVerifier: Sendable {
    public let subject: OCSPSubject
    /// The DER of certificates that may be the delegated responder when the response does
    /// not carry it (as OpenSSL's `-verify_other`): each is looked at only if the
    /// ResponderID names it, and must pass every rule of RFC 6960 §4.2.2.2 that an embedded
    /// one does. Listing a certificate here trusts it for nothing. Default none.
    public let untrustedCertificateDERs: [[UInt8]]

    /// A verifier for `subject`, with `untrustedCertificates` as candidate delegated
    /// responders besides those in each response.
    public init(subject: OCSPSubject, untrustedCertificates: [Certificate] = []) {
        self.init(subject: subject, untrustedCertificateDERs: untrustedCertificates.map(\.derBytes))
    }

    /// A verifier for `subject`, with untrusted certificates given as DER. One that does
    /// not parse is never a candidate, and an error only when the ResponderID names it, so
    /// a file may also hold certificates swift-certificates cannot read (an MD5-signed root).
    public init(subject: OCSPSubject, untrustedCertificateDERs: [[UInt8]]) {
        self.subject = subject
        self.untrustedCertificateDERs = untrustedCertificateDERs
    }

    /// Verifies `der` as the answer for ``subject``.
    ///
    /// - Parameters:
    ///   - der: the bytes of an OCSPResponse.
    ///   - certID: the CertID that was sent; when nil, each SingleResponse is matched against
    ///     the subject's CertID computed with that response's own hash algorithm (for saved
    ///     responses whose request is not known).
    ///   - policy: time, clock skew, nonce.
    public func verify(
        _ der: [UInt8],
        certID: OCSPCertID? = nil,
        policy: OCSPVerificationPolicy = OCSPVerificationPolicy()
    ) throws(OCSPError) -> OCSPAnswer {
        let response = try OCSPResponse(derBytes: der)
        // RFC 6960 §4.2.1: only "successful" carries responseBytes; every other status is
        // an error message with no status to trust.
        if let error = response.responseStatus.error { throw error }
        guard let responseBytes = response.responseBytes else {
            throw OCSPError(.malformedResponse, "a successful response without responseBytes (RFC 6960 §4.2.1)")
        }
        let basic = try responseBytes.basicResponse()
        let data = basic.responseData
        let now = policy.now ?? Date()

        // RFC 6960 §3.2 (2, 3): the signer is the issuer or an authorised delegate, and
        // the signature on tbsResponseData verifies with its key.
        let signer = try identifySigner(basic, producedAt: Date(data.producedAt), now: now, clockSkew: policy.clockSkew.timeInterval)
        try verifySignature(basic, key: signer.key)

        // RFC 5280 §4.2 as applied by RFC 6960 §4.4: a critical extension we do not
        // understand makes the response unusable.
        try checkCriticalExtensions(data)

        // RFC 6960 §3.2 (1): the response is for the certificate that was asked about.
        let single = try matchingResponse(in: data, certID: certID)

        try checkTimes(single: single, producedAt: data.producedAt, now: now, policy: policy)
        try checkNonce(data, policy: policy)

        let status: OCSPAnswer.Status = switch single.certStatus {
        case .good: .good
        case .unknown: .unknown
        case .revoked(let time, let reason): .revoked(time: Date(time), reason: reason)
        }
        return OCSPAnswer(
            status: status,
            thisUpdate: Date(single.thisUpdate),
            nextUpdate: single.nextUpdate.map(Date.init),
            producedAt: Date(data.producedAt),
            signer: signer.answer,
            certID: single.certID,
            derBytes: der,
            responderURL: nil,
            maxAge: nil
        )
    }
}
