import SwiftASN1

/// The typed body of a successful response (RFC 6960 §4.2.1).
///
/// ```
/// ResponseBytes ::=       SEQUENCE {
///     responseType   OBJECT IDENTIFIER,
///     response       OCTET STRING }
/// ```
@_spi(OCSPWire) public struct OCSPResponseBytes: DERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var responseType: ASN1ObjectIdentifier
    /// The encoded response of that type (for id-pkix-ocsp-basic, a BasicOCSPResponse).
    public var response: ArraySlice<UInt8>

    public init(responseType: ASN1ObjectIdentifier, response: ArraySlice<UInt8>) {
        self.responseType = responseType
        self.response = response
    }

    /// A ResponseBytes that carries `basic`.
    public init(basic: OCSPBasicResponse) throws {
        var coder = DER.Serializer()
        try coder.serialize(basic)
        self.init(responseType: OCSPOID.basicResponse, response: coder.serializedBytes[...])
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let type = try ASN1ObjectIdentifier(derEncoded: &nodes)
            let response = try ASN1OctetString(derEncoded: &nodes)
            return OCSPResponseBytes(responseType: type, response: response.bytes)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(responseType)
            try coder.serialize(ASN1OctetString(contentBytes: response))
        }
    }

    /// Whether this holds a BasicOCSPResponse, the one type every client must support
    /// (RFC 6960 §4.2.1).
    public var isBasic: Bool { responseType == OCSPOID.basicResponse }

    /// The BasicOCSPResponse inside.
    public func basicResponse() throws(OCSPError) -> OCSPBasicResponse {
        guard isBasic else {
            throw OCSPError(.unsupportedResponseType, "the response type is \(responseType), not id-pkix-ocsp-basic (RFC 6960 §4.2.1)")
        }
        do {
            return try OCSPBasicResponse(derEncoded: DER.parse(response))
        } catch {
            throw OCSPError(.malformedResponse, "the BasicOCSPResponse does not parse as DER (\(error))")
        }
    }
}
