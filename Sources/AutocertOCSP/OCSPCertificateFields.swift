import SwiftASN1
import X509

/// The raw fields of a certificate that OCSP hashes and compares, read from its DER.
///
/// RFC 6960 §4.1.1 hashes the issuer's DN and key *as encoded*, and the CertID carries the
/// serial *as encoded*, so these are taken from the certificate's own bytes rather than
/// from a re-encoding of its parsed form.
struct OCSPCertificateFields: Sendable {
    /// The serialNumber INTEGER's content octets.
    let serialNumber: ArraySlice<UInt8>
    /// The DER of the issuer Name.
    let issuerName: ArraySlice<UInt8>
    /// The DER of the subject Name.
    let subjectName: ArraySlice<UInt8>
    /// The contents of subjectPublicKey (the BIT STRING without tag, length and unused-bits octet).
    let subjectPublicKey: ArraySlice<UInt8>
    /// The DER of the whole SubjectPublicKeyInfo.
    let subjectPublicKeyInfo: ArraySlice<UInt8>

    /// Reads the fields of `der`, a DER Certificate (RFC 5280 §4.1).
    init(der: [UInt8]) throws {
        let root = try DER.parse(der)
        self = try DER.sequence(root, identifier: .sequence) { nodes in
            guard let tbs = nodes.next() else { throw ASN1Error.invalidASN1Object(reason: "no tbsCertificate") }
            while nodes.next() != nil {}
            return try DER.sequence(tbs, identifier: .sequence) { fields in
                _ = try DER.optionalExplicitlyTagged(&fields, tagNumber: 0, tagClass: .contextSpecific) { $0 }
                guard let serial = fields.next(),
                      fields.next() != nil,  // signature AlgorithmIdentifier
                      let issuer = fields.next(),
                      fields.next() != nil,  // validity
                      let subject = fields.next(),
                      let spki = fields.next()
                else { throw ASN1Error.invalidASN1Object(reason: "tbsCertificate is missing fields") }
                while fields.next() != nil {}
                let key = try DER.sequence(spki, identifier: .sequence) { parts in
                    _ = parts.next()
                    let bits = try ASN1BitString(derEncoded: &parts)
                    return bits.bytes
                }
                return OCSPCertificateFields(
                    serialNumber: serial.content.primitiveBytes ?? [],
                    issuerName: issuer.encodedBytes,
                    subjectName: subject.encodedBytes,
                    subjectPublicKey: key,
                    subjectPublicKeyInfo: spki.encodedBytes
                )
            }
        }
    }

    private init(serialNumber: ArraySlice<UInt8>, issuerName: ArraySlice<UInt8>, subjectName: ArraySlice<UInt8>, subjectPublicKey: ArraySlice<UInt8>, subjectPublicKeyInfo: ArraySlice<UInt8>) {
        self.subjectPublicKeyInfo = subjectPublicKeyInfo
        self.serialNumber = serialNumber
        self.issuerName = issuerName
        self.subjectName = subjectName
        self.subjectPublicKey = subjectPublicKey
    }
}

extension ASN1Node.Content {
    var primitiveBytes: ArraySlice<UInt8>? {
        if case .primitive(let bytes) = self { return bytes }
        return nil
    }
}

extension Certificate {
    /// This certificate's DER encoding.
    var derBytes: [UInt8] {
        var coder = DER.Serializer()
        // Serialising a parsed or built Certificate cannot fail: it re-emits stored bytes.
        try! coder.serialize(self)
        return coder.serializedBytes
    }

    /// The OCSP responder URLs of the Authority Information Access extension
    /// (RFC 5280 §4.2.2.1, id-ad-ocsp), in order.
    public var ocspResponderURLs: [String] {
        guard let access = try? extensions.authorityInformationAccess else { return [] }
        return access.compactMap { description in
            guard description.method == .ocspServer,
                  case .uniformResourceIdentifier(let url) = description.location
            else { return nil }
            return url
        }
    }
}
