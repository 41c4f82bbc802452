import Foundation
import SwiftASN1
import X509

extension OCSPVerifier {
    struct IdentifiedSigner {
        let key: Certificate.PublicKey
        let answer: OCSPAnswer.Signer
    }

    /// Finds who signed `basic` and checks that it may sign for the subject's issuer.
    ///
    /// RFC 6960 §4.2.2.2: the signer is either the CA that issued the certificate, or a
    /// delegated responder whose certificate (a) was issued directly by that CA and (b)
    /// carries id-kp-OCSPSigning in its extended key usage. The delegate must be valid at
    /// `now`, the verification time, give or take `clockSkew` (RFC 5280 §6.1.3 (a)(2): a
    /// certificate is checked at the time of use, so an expired responder key cannot keep
    /// signing by back-dating producedAt), and at producedAt too (a response cannot have
    /// been produced by a delegate that did not exist or had expired then). The delegate is
    /// looked for among the response's certificates, then ``untrustedCertificateDERs``. The
    /// ResponderID must name the signer (§4.2.1): byName its subject, byKey the SHA-1 of
    /// its subjectPublicKey. An issuer-signed response that also embeds the issuer's own
    /// certificate is valid: the embedded copy is not needed, not harmful.
    func identifySigner(_ basic: OCSPBasicResponse, producedAt: Date, now: Date, clockSkew: TimeInterval) throws(OCSPError) -> IdentifiedSigner {
        let responderID = basic.responseData.responderID
        if names(responderID, subjectName: subject.issuerFields.subjectName, keySHA1: subject.issuerKeySHA1) {
            return IdentifiedSigner(key: subject.issuerPublicKey, answer: .issuer)
        }
        var rejections: [String] = []
        for der in (basic.certificates ?? []).map(Array.init) + untrustedCertificateDERs {
            guard let fields = try? OCSPCertificateFields(der: der) else { continue }
            let keySHA1 = OCSPHashAlgorithm.sha1.hash(fields.subjectPublicKey)
            guard names(responderID, subjectName: fields.subjectName, keySHA1: keySHA1) else { continue }
            guard let candidate = try? Certificate(derEncoded: der) else {
                rejections.append("the certificate named by the ResponderID does not parse")
                continue
            }
            if let problem = delegationProblem(candidate, fields: fields, producedAt: producedAt, now: now, clockSkew: clockSkew) {
                rejections.append(problem)
                continue
            }
            return IdentifiedSigner(key: candidate.publicKey, answer: .delegated(der))
        }
        let why = if !rejections.isEmpty {
            rejections.joined(separator: "; ")
        } else if untrustedCertificateDERs.isEmpty {
            "no certificate matching the ResponderID was found (neither the issuer nor one in the response); if the responder's certificate is known, pass it as untrusted"
        } else {
            "no certificate matching the ResponderID was found (neither the issuer, nor one in the response, nor one of the \(untrustedCertificateDERs.count) untrusted)"
        }
        throw OCSPError(.unauthorizedSigner, "the response is not signed by '\(subject.issuerName)' or a responder it authorised: \(why) (RFC 6960 §4.2.2.2)")
    }

    private func names(_ responderID: OCSPResponderID, subjectName: ArraySlice<UInt8>, keySHA1: [UInt8]) -> Bool {
        switch responderID {
        case .byName(let name): name.elementsEqual(subjectName)
        case .byKey(let hash): hash.elementsEqual(keySHA1)
        }
    }

    /// Checks the signature over the exact bytes of tbsResponseData (RFC 6960 §4.2.1).
    func verifySignature(_ basic: OCSPBasicResponse, key: Certificate.PublicKey) throws(OCSPError) {
        guard let algorithm = Certificate.SignatureAlgorithm(ocsp: basic.signatureAlgorithm) else {
            throw OCSPError(.unsupportedAlgorithm, "the signature algorithm \(basic.signatureAlgorithm.algorithm) is not supported (ECDSA with SHA-2, RSA PKCS#1 v1.5 with SHA-1/SHA-2, Ed25519 are)")
        }
        guard key.isValidSignature(basic.signature, for: basic.responseDataBytes, signatureAlgorithm: algorithm) else {
            throw OCSPError(.badSignature, "the response signature does not verify with the signer's key; the response was altered or signed by someone else")
        }
    }
}

extension Certificate.SignatureAlgorithm {
    /// The algorithm an OCSP signatureAlgorithm names, with parameters as RFC 5758 §3.2
    /// (ECDSA: absent), RFC 4055 §5 (RSA: NULL or absent) and RFC 8410 §3 (Ed25519: absent) allow.
    init?(ocsp identifier: OCSPAlgorithmIdentifier) {
        switch identifier.algorithm {
        case OCSPOID.ecdsaWithSHA256 where identifier.parameters == nil: self = .ecdsaWithSHA256
        case OCSPOID.ecdsaWithSHA384 where identifier.parameters == nil: self = .ecdsaWithSHA384
        case OCSPOID.ecdsaWithSHA512 where identifier.parameters == nil: self = .ecdsaWithSHA512
        case OCSPOID.sha1WithRSAEncryption where identifier.hasAbsentOrNullParameters: self = .sha1WithRSAEncryption
        case OCSPOID.sha256WithRSAEncryption where identifier.hasAbsentOrNullParameters: self = .sha256WithRSAEncryption
        case OCSPOID.sha384WithRSAEncryption where identifier.hasAbsentOrNullParameters: self = .sha384WithRSAEncryption
        case OCSPOID.sha512WithRSAEncryption where identifier.hasAbsentOrNullParameters: self = .sha512WithRSAEncryption
        case OCSPOID.ed25519 where identifier.parameters == nil: self = .ed25519
        default: return nil
        }
    }
}
