import SwiftASN1

/// The data a responder signs (RFC 6960 §4.2.1).
///
/// ```
/// ResponseData ::= SEQUENCE {
///    version              [0] EXPLICIT Version DEFAULT v1,
///    responderID              ResponderID,
///    producedAt               GeneralizedTime,
///    responses                SEQUENCE OF SingleResponse,
///    responseExtensions   [1] EXPLICIT Extensions OPTIONAL }
/// ```
/// An explicitly encoded v1 is accepted although DER forbids encoding a DEFAULT value:
/// the signature covers the exact bytes, so nothing is ambiguous, and real responders
/// (and OpenSSL, Go and BoringSSL) send and accept it. Any other version is refused.
@_spi(OCSPWire) public struct OCSPResponseData: DERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    /// The version when it was encoded explicitly (nil means the default, v1).
    public var explicitVersion: Int?
    public var responderID: OCSPResponderID
    public var producedAt: GeneralizedTime
    public var responses: [OCSPSingleResponse]
    public var responseExtensions: [OCSPExtension]?

    public init(
        explicitVersion: Int? = nil,
        responderID: OCSPResponderID,
        producedAt: GeneralizedTime,
        responses: [OCSPSingleResponse],
        responseExtensions: [OCSPExtension]? = nil
    ) {
        self.explicitVersion = explicitVersion
        self.responderID = responderID
        self.producedAt = producedAt
        self.responses = responses
        self.responseExtensions = responseExtensions
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let version = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                try Int(derEncoded: $0)
            }
            if let version, version != 0 {
                throw ASN1Error.invalidASN1Object(reason: "ResponseData version \(version) is not v1")
            }
            guard let responderNode = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "ResponseData has no responderID")
            }
            let responderID = try OCSPResponderID(derEncoded: responderNode)
            let producedAt = try GeneralizedTime(derEncoded: &nodes)
            let responses = try DER.sequence(of: OCSPSingleResponse.self, identifier: .sequence, nodes: &nodes)
            let extensions = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) {
                try OCSPExtensions.parse($0)
            }
            return OCSPResponseData(
                explicitVersion: version,
                responderID: responderID,
                producedAt: producedAt,
                responses: responses,
                responseExtensions: extensions
            )
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            if let explicitVersion {
                try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { try $0.serialize(explicitVersion) }
            }
            try coder.serialize(responderID)
            try coder.serialize(producedAt)
            try coder.serializeSequenceOf(responses)
            if let responseExtensions {
                try coder.serialize(explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific) {
                    try OCSPExtensions.serialize(responseExtensions, into: &$0)
                }
            }
        }
    }
}

/// Who signed a response (RFC 6960 §4.2.1).
///
/// ```
/// ResponderID ::= CHOICE {
///    byName   [1] Name,
///    byKey    [2] KeyHash }
/// KeyHash ::= OCTET STRING -- SHA-1 hash of responder's public key
///                          -- (excluding the tag and length fields)
/// ```
/// The module uses EXPLICIT tags, so both alternatives are explicitly tagged.
@_spi(OCSPWire) public enum OCSPResponderID: DERParseable, DERSerializable, Hashable, Sendable {
    /// The responder's subject name, as its DER bytes.
    case byName(ArraySlice<UInt8>)
    /// The SHA-1 of the responder's subjectPublicKey BIT STRING contents.
    case byKey(ArraySlice<UInt8>)

    public init(derEncoded node: ASN1Node) throws {
        guard node.identifier.tagClass == .contextSpecific, case .constructed(let children) = node.content else {
            throw ASN1Error.unexpectedFieldType(node.identifier)
        }
        var iterator = children.makeIterator()
        guard let child = iterator.next(), iterator.next() == nil else {
            throw ASN1Error.invalidASN1Object(reason: "ResponderID must hold exactly one element")
        }
        switch node.identifier.tagNumber {
        case 1:
            guard child.identifier == .sequence else { throw ASN1Error.unexpectedFieldType(child.identifier) }
            _ = try DER.sequence(child, identifier: .sequence) { nodes in while nodes.next() != nil {} }
            self = .byName(child.encodedBytes)
        case 2:
            self = .byKey(try ASN1OctetString(derEncoded: child).bytes)
        default:
            throw ASN1Error.unexpectedFieldType(node.identifier)
        }
    }

    public func serialize(into coder: inout DER.Serializer) throws {
        switch self {
        case .byName(let name):
            try coder.serialize(explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific) { $0.serializeRawBytes(name) }
        case .byKey(let hash):
            try coder.serialize(explicitlyTaggedWithTagNumber: 2, tagClass: .contextSpecific) {
                try $0.serialize(ASN1OctetString(contentBytes: hash))
            }
        }
    }
}
