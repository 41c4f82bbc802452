import SwiftASN1

/// The signed body of a response (RFC 6960 §4.2.1).
///
/// ```
/// BasicOCSPResponse       ::= SEQUENCE {
///    tbsResponseData      ResponseData,
///    signatureAlgorithm   AlgorithmIdentifier,
///    signature            BIT STRING,
///    certs            [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
/// ```
/// The certificates are kept as their DER bytes (each checked to have a Certificate's
/// outer shape) and parsed only when the verifier needs one as a signer.
@_spi(OCSPWire) public struct OCSPBasicResponse: DERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var responseData: OCSPResponseData
    /// The exact bytes of tbsResponseData, which the signature covers.
    public var responseDataBytes: ArraySlice<UInt8>
    public var signatureAlgorithm: OCSPAlgorithmIdentifier
    public var signature: ArraySlice<UInt8>
    /// The DER of each certificate in `certs`, in order (nil when the field is absent).
    public var certificates: [ArraySlice<UInt8>]?

    public init(
        responseData: OCSPResponseData,
        responseDataBytes: ArraySlice<UInt8>,
        signatureAlgorithm: OCSPAlgorithmIdentifier,
        signature: ArraySlice<UInt8>,
        certificates: [ArraySlice<UInt8>]?
    ) {
        self.responseData = responseData
        self.responseDataBytes = responseDataBytes
        self.signatureAlgorithm = signatureAlgorithm
        self.signature = signature
        self.certificates = certificates
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            guard let dataNode = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "BasicOCSPResponse has no tbsResponseData")
            }
            let data = try OCSPResponseData(derEncoded: dataNode)
            let algorithm = try OCSPAlgorithmIdentifier(derEncoded: &nodes)
            let signature = try ASN1BitString(derEncoded: &nodes)
            guard signature.paddingBits == 0 else {
                throw ASN1Error.invalidASN1Object(reason: "signature BIT STRING has padding bits")
            }
            let certs = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) { node in
                try DER.sequence(of: CertificateShape.self, identifier: .sequence, rootNode: node).map(\.bytes)
            }
            return OCSPBasicResponse(
                responseData: data,
                responseDataBytes: dataNode.encodedBytes,
                signatureAlgorithm: algorithm,
                signature: signature.bytes,
                certificates: certs
            )
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            coder.serializeRawBytes(responseDataBytes)
            try coder.serialize(signatureAlgorithm)
            try coder.serialize(ASN1BitString(bytes: signature))
            if let certificates {
                try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        for certificate in certificates { coder.serializeRawBytes(certificate) }
                    }
                }
            }
        }
    }
}

/// The outer shape of an X.509 Certificate (RFC 5280 §4.1): a SEQUENCE of a SEQUENCE, a
/// SEQUENCE and a BIT STRING. Checked eagerly; the full parse waits until it is needed.
struct CertificateShape: DERParseable {
    let bytes: ArraySlice<UInt8>

    init(derEncoded node: ASN1Node) throws {
        bytes = node.encodedBytes
        try DER.sequence(node, identifier: .sequence) { nodes in
            guard let tbs = nodes.next(), tbs.identifier == .sequence,
                  let algorithm = nodes.next(), algorithm.identifier == .sequence,
                  let signature = nodes.next(), signature.identifier == .bitString
            else {
                throw ASN1Error.invalidASN1Object(reason: "an entry of certs is not a Certificate")
            }
        }
    }
}
