import SwiftASN1

/// The identity of the certificate whose status is asked or given (RFC 6960 §4.1.1).
///
/// ```
/// CertID          ::=     SEQUENCE {
///     hashAlgorithm       AlgorithmIdentifier,
///     issuerNameHash      OCTET STRING, -- Hash of issuer's DN
///     issuerKeyHash       OCTET STRING, -- Hash of issuer's public key
///     serialNumber        CertificateSerialNumber }
/// ```
public struct OCSPCertID: DERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var hashAlgorithm: OCSPAlgorithmIdentifier
    public var issuerNameHash: ArraySlice<UInt8>
    public var issuerKeyHash: ArraySlice<UInt8>
    /// The serial number's INTEGER content octets, exactly as encoded (two's complement).
    public var serialNumber: ArraySlice<UInt8>

    public init(
        hashAlgorithm: OCSPAlgorithmIdentifier,
        issuerNameHash: ArraySlice<UInt8>,
        issuerKeyHash: ArraySlice<UInt8>,
        serialNumber: ArraySlice<UInt8>
    ) {
        self.hashAlgorithm = hashAlgorithm
        self.issuerNameHash = issuerNameHash
        self.issuerKeyHash = issuerKeyHash
        self.serialNumber = serialNumber
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let hashAlgorithm = try OCSPAlgorithmIdentifier(derEncoded: &nodes)
            let nameHash = try ASN1OctetString(derEncoded: &nodes)
            let keyHash = try ASN1OctetString(derEncoded: &nodes)
            guard let serialNode = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "CertID has no serialNumber")
            }
            return OCSPCertID(
                hashAlgorithm: hashAlgorithm,
                issuerNameHash: nameHash.bytes,
                issuerKeyHash: keyHash.bytes,
                serialNumber: try DERInteger.contentOctets(serialNode)
            )
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(hashAlgorithm)
            try coder.serialize(ASN1OctetString(contentBytes: issuerNameHash))
            try coder.serialize(ASN1OctetString(contentBytes: issuerKeyHash))
            coder.appendPrimitiveNode(identifier: .integer) { $0.append(contentsOf: serialNumber) }
        }
    }

    /// Whether `other` names the same certificate: same hash algorithm OID, hashes and
    /// serial (RFC 6960 §4.2.2.3 matching; parameters NULL and absent are the same).
    public func matches(_ other: OCSPCertID) -> Bool {
        hashAlgorithm.algorithm == other.hashAlgorithm.algorithm
            && issuerNameHash == other.issuerNameHash
            && issuerKeyHash == other.issuerKeyHash
            && serialNumber == other.serialNumber
    }
}

/// INTEGER helpers where the value is kept as bytes (serial numbers, up to 20 octets or more).
enum DERInteger {
    /// The content octets of an INTEGER node, refusing non-minimal encodings (X.690 §8.3.2).
    static func contentOctets(_ node: ASN1Node) throws -> ArraySlice<UInt8> {
        guard node.identifier == .integer, case .primitive(let bytes) = node.content, !bytes.isEmpty else {
            throw ASN1Error.unexpectedFieldType(node.identifier)
        }
        if bytes.count > 1 {
            let first = bytes[bytes.startIndex], second = bytes[bytes.startIndex + 1]
            if (first == 0x00 && second & 0x80 == 0) || (first == 0xFF && second & 0x80 != 0) {
                throw ASN1Error.invalidASN1IntegerEncoding(reason: "INTEGER is not minimally encoded")
            }
        }
        return bytes
    }

    /// The minimal positive INTEGER encoding of an unsigned big-endian magnitude.
    static func positive(magnitude: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var bytes = magnitude.drop { $0 == 0 }
        if bytes.isEmpty { return [0] }
        if bytes[bytes.startIndex] & 0x80 != 0 { bytes = [0] + bytes }
        return bytes
    }
}

extension OCSPCertID {
    /// The CertID of a certificate given as DER, with its issuer as DER (RFC 6960 §4.1.1).
    ///
    /// Reads only the names, the issuer's key bits and the serial, so it works for keys this
    /// module cannot verify with (RSA under 2048 bits, DSA): enough to build a request or to
    /// find a certificate's SingleResponse, never to trust one.
    public init(certificateDER: [UInt8], issuerDER: [UInt8], hash: OCSPHashAlgorithm = .sha1) throws(OCSPError) {
        let certificate: OCSPCertificateFields, issuer: OCSPCertificateFields
        do {
            certificate = try OCSPCertificateFields(der: certificateDER)
            issuer = try OCSPCertificateFields(der: issuerDER)
        } catch {
            throw OCSPError(.invalidCertificate, "the certificate or issuer could not be read (\(error))")
        }
        guard certificate.issuerName == issuer.subjectName else {
            throw OCSPError(.issuerMismatch, "the certificate names another issuer; pass the certificate that signed it")
        }
        self.init(
            hashAlgorithm: hash.algorithmIdentifier,
            issuerNameHash: hash.hash(issuer.subjectName)[...],
            issuerKeyHash: hash.hash(issuer.subjectPublicKey)[...],
            serialNumber: certificate.serialNumber)
    }
}
