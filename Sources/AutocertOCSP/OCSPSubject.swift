import Foundation
import SwiftASN1
import X509

/// A certificate and its issuer, prepared once for OCSP requests and verification.
///
/// Holds what RFC 6960 §4.1.1 hashes (the issuer's DN and key as encoded) and the
/// certificate's serial as encoded, so that building CertIDs and verifying responses
/// does no re-encoding.
public struct OCSPSubject: Sendable {
    /// The certificate whose status is asked.
    public let certificate: Certificate
    /// The DER of the certificate that issued it (and that signs, or delegates signing of,
    /// its OCSP). Only its name and key are used: as the anchor of this check, its own
    /// signature is not examined, so an old root signed with MD5 still works as an issuer.
    public let issuerDER: [UInt8]
    /// The issuer's public key.
    public let issuerPublicKey: Certificate.PublicKey
    /// The issuer's subject name, for messages.
    public let issuerName: String

    let certificateFields: OCSPCertificateFields
    let issuerFields: OCSPCertificateFields
    /// SHA-1 of the issuer's subjectPublicKey: the ResponderID byKey form (RFC 6960 §4.2.1).
    let issuerKeySHA1: [UInt8]
    private let sha1CertID: OCSPCertID

    /// Prepares `certificate` and `issuer`.
    ///
    /// - Throws: ``OCSPError/Code/issuerMismatch`` when the certificate's issuer name is
    ///   not the issuer's subject name, or its signature does not verify with the issuer's key.
    public init(certificate: Certificate, issuer: Certificate) throws(OCSPError) {
        try self.init(certificate: certificate, issuerDER: issuer.derBytes)
    }

    /// Prepares `certificate` with its issuer given as DER.
    ///
    /// - Parameter issuerSignatureVerified: true when the caller has itself verified, just
    ///   before, that the issuer's key signed `certificate` (a chain it validated on loading):
    ///   the names are still compared, the signature (an ECDSA or RSA verification, most of
    ///   this initialiser's cost) is not verified again. It only makes an early, clear error:
    ///   a wrong issuer would otherwise show as responses that do not verify. Default false.
    public init(certificate: Certificate, issuerDER: [UInt8], issuerSignatureVerified: Bool = false) throws(OCSPError) {
        do {
            self.certificateFields = try OCSPCertificateFields(der: certificate.derBytes)
            self.issuerFields = try OCSPCertificateFields(der: issuerDER)
            self.issuerPublicKey = try Certificate.PublicKey(derEncoded: Array(issuerFields.subjectPublicKeyInfo))
        } catch {
            throw OCSPError(.invalidCertificate, "the certificate or issuer could not be read (\(error))")
        }
        self.issuerName = (try? DistinguishedName(derEncoded: DER.parse(Array(issuerFields.subjectName)))).map(String.init(describing:)) ?? "the issuer"
        guard certificateFields.issuerName == issuerFields.subjectName,
              issuerSignatureVerified || issuerPublicKey.isValidSignature(certificate.signature, for: certificate)
        else {
            throw OCSPError(.issuerMismatch, "'\(issuerName)' did not issue '\(certificate.subject)'; pass the certificate that signed it as the issuer")
        }
        self.certificate = certificate
        self.issuerDER = issuerDER
        self.issuerKeySHA1 = OCSPHashAlgorithm.sha1.hash(issuerFields.subjectPublicKey)
        self.sha1CertID = OCSPCertID(
            hashAlgorithm: OCSPHashAlgorithm.sha1.algorithmIdentifier,
            issuerNameHash: OCSPHashAlgorithm.sha1.hash(issuerFields.subjectName)[...],
            issuerKeyHash: issuerKeySHA1[...],
            serialNumber: certificateFields.serialNumber)
    }

    /// Prepares the first certificate of `pem` with the issuer that follows it, or with
    /// the first certificate of `issuerPEM` when given.
    public init(pem: String, issuerPEM: String? = nil) throws(OCSPError) {
        let chain = try Self.certificateDERs(inPEM: pem)
        let issuers = try issuerPEM.map { pem throws(OCSPError) in try Self.certificateDERs(inPEM: pem) } ?? Array(chain.dropFirst())
        guard let first = chain.first else {
            throw OCSPError(.invalidCertificate, "no CERTIFICATE block in the PEM")
        }
        guard let issuer = issuers.first else {
            throw OCSPError(.invalidCertificate, "no issuer: put the issuer after the certificate in the same PEM, or pass it separately")
        }
        let certificate: Certificate
        do { certificate = try Certificate(derEncoded: first) } catch {
            throw OCSPError(.invalidCertificate, "the certificate could not be read (\(error))")
        }
        try self.init(certificate: certificate, issuerDER: issuer)
    }

    /// The DER of every CERTIFICATE block in `pem`, in order.
    ///
    /// Read laxly, as RFC 7468 §2 asks of parsers: white space around lines (CRLF, trailing
    /// blanks) and base64 lines of any length are accepted, text outside the blocks is
    /// skipped. (OpenSSL's own test certificates carry trailing blanks.)
    public static func certificateDERs(inPEM pem: String) throws(OCSPError) -> [[UInt8]] {
        var ders: [[UInt8]] = []
        var base64: String?
        for line in pem.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line == "-----BEGIN CERTIFICATE-----" {
                base64 = ""
            } else if line == "-----END CERTIFICATE-----", let text = base64 {
                guard let der = Data(base64Encoded: text) else {
                    throw OCSPError(.invalidCertificate, "CERTIFICATE block \(ders.count + 1) of the PEM is not base64; the file is damaged")
                }
                ders.append(Array(der))
                base64 = nil
            } else if base64 != nil {
                base64? += line
            }
        }
        guard base64 == nil else {
            throw OCSPError(.invalidCertificate, "CERTIFICATE block \(ders.count + 1) of the PEM has no END line; the file is cut short")
        }
        return ders
    }

    /// The responder URLs the certificate names (AIA id-ad-ocsp).
    public var responderURLs: [String] { certificate.ocspResponderURLs }

    /// The CertID for this certificate with `hash` (RFC 6960 §4.1.1).
    public func certID(hash: OCSPHashAlgorithm = .sha1) -> OCSPCertID {
        // SHA-1 is what lookups send (RFC 5019 §2.1.1): computed once, at init.
        if hash == .sha1 { return sha1CertID }
        return OCSPCertID(
            hashAlgorithm: hash.algorithmIdentifier,
            issuerNameHash: hash.hash(issuerFields.subjectName)[...],
            issuerKeyHash: hash.hash(issuerFields.subjectPublicKey)[...],
            serialNumber: certificateFields.serialNumber
        )
    }

    /// An unsigned request for this certificate (RFC 5019 §2.1: one CertID, no signature),
    /// with a nonce extension (RFC 8954) when `nonce` is given.
    @_spi(OCSPWire) public func request(hash: OCSPHashAlgorithm = .sha1, nonce: [UInt8]? = nil) -> OCSPRequest {
        let single = OCSPSingleRequest(certID: certID(hash: hash))
        let extensions = nonce.map { [OCSPExtension.nonce($0)] }
        return OCSPRequest(tbsRequest: OCSPTBSRequest(requestList: [single], requestExtensions: extensions))
    }
}
