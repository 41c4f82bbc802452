import SwiftASN1

/// An AlgorithmIdentifier (RFC 5280 §4.1.1.2) as used in CertID and BasicOCSPResponse.
///
/// ```
/// AlgorithmIdentifier  ::=  SEQUENCE  {
///      algorithm               OBJECT IDENTIFIER,
///      parameters              ANY DEFINED BY algorithm OPTIONAL  }
/// ```
public struct OCSPAlgorithmIdentifier: DERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var algorithm: ASN1ObjectIdentifier
    /// The parameters, as encoded (often NULL, or absent).
    public var parameters: ASN1Any?

    public init(algorithm: ASN1ObjectIdentifier, parameters: ASN1Any?) {
        self.algorithm = algorithm
        self.parameters = parameters
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let algorithm = try ASN1ObjectIdentifier(derEncoded: &nodes)
            let parameters = nodes.next().map { ASN1Any(derEncoded: $0) }
            return OCSPAlgorithmIdentifier(algorithm: algorithm, parameters: parameters)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(algorithm)
            if let parameters { try coder.serialize(parameters) }
        }
    }

    /// Whether the parameters are absent or an ASN.1 NULL, the two forms RFC 5754 §2 and
    /// RFC 4055 §5 allow for hash and RSA signature algorithms.
    var hasAbsentOrNullParameters: Bool {
        guard let parameters else { return true }
        return (try? ASN1Null(asn1Any: parameters)) != nil
    }
}
