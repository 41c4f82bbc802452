import SwiftASN1

/// The status of one certificate (RFC 6960 §4.2.1).
///
/// ```
/// SingleResponse ::= SEQUENCE {
///    certID                       CertID,
///    certStatus                   CertStatus,
///    thisUpdate                   GeneralizedTime,
///    nextUpdate         [0]       EXPLICIT GeneralizedTime OPTIONAL,
///    singleExtensions   [1]       EXPLICIT Extensions OPTIONAL }
/// ```
@_spi(OCSPWire) public struct OCSPSingleResponse: DERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var certID: OCSPCertID
    public var certStatus: OCSPCertStatus
    public var thisUpdate: GeneralizedTime
    public var nextUpdate: GeneralizedTime?
    public var singleExtensions: [OCSPExtension]?

    public init(
        certID: OCSPCertID,
        certStatus: OCSPCertStatus,
        thisUpdate: GeneralizedTime,
        nextUpdate: GeneralizedTime?,
        singleExtensions: [OCSPExtension]? = nil
    ) {
        self.certID = certID
        self.certStatus = certStatus
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.singleExtensions = singleExtensions
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let certID = try OCSPCertID(derEncoded: &nodes)
            guard let statusNode = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "SingleResponse has no certStatus")
            }
            let status = try OCSPCertStatus(derEncoded: statusNode)
            let thisUpdate = try GeneralizedTime(derEncoded: &nodes)
            let nextUpdate = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                try GeneralizedTime(derEncoded: $0)
            }
            let extensions = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) {
                try OCSPExtensions.parse($0)
            }
            return OCSPSingleResponse(certID: certID, certStatus: status, thisUpdate: thisUpdate, nextUpdate: nextUpdate, singleExtensions: extensions)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(certID)
            try coder.serialize(certStatus)
            try coder.serialize(thisUpdate)
            if let nextUpdate {
                try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { try $0.serialize(nextUpdate) }
            }
            if let singleExtensions {
                try coder.serialize(explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific) {
                    try OCSPExtensions.serialize(singleExtensions, into: &$0)
                }
            }
        }
    }
}

/// What a responder says of a certificate (RFC 6960 §4.2.1, §2.2).
///
/// ```
/// CertStatus ::= CHOICE {
///     good        [0]     IMPLICIT NULL,
///     revoked     [1]     IMPLICIT RevokedInfo,
///     unknown     [2]     IMPLICIT UnknownInfo }
/// RevokedInfo ::= SEQUENCE {
///     revocationTime              GeneralizedTime,
///     revocationReason    [0]     EXPLICIT CRLReason OPTIONAL }
/// ```
@_spi(OCSPWire) public enum OCSPCertStatus: DERParseable, DERSerializable, Hashable, Sendable {
    case good
    case revoked(time: GeneralizedTime, reason: OCSPRevocationReason?)
    case unknown

    private static let goodTag = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
    private static let revokedTag = ASN1Identifier(tagWithNumber: 1, tagClass: .contextSpecific)
    private static let unknownTag = ASN1Identifier(tagWithNumber: 2, tagClass: .contextSpecific)

    public init(derEncoded node: ASN1Node) throws {
        switch node.identifier {
        case Self.goodTag:
            _ = try ASN1Null(derEncoded: node, withIdentifier: Self.goodTag)
            self = .good
        case Self.unknownTag:
            _ = try ASN1Null(derEncoded: node, withIdentifier: Self.unknownTag)
            self = .unknown
        case Self.revokedTag:
            self = try DER.sequence(node, identifier: Self.revokedTag) { nodes in
                let time = try GeneralizedTime(derEncoded: &nodes)
                let reason = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                    try OCSPRevocationReason(derEncoded: $0)
                }
                return .revoked(time: time, reason: reason)
            }
        default:
            throw ASN1Error.unexpectedFieldType(node.identifier)
        }
    }

    public func serialize(into coder: inout DER.Serializer) throws {
        switch self {
        case .good:
            try ASN1Null().serialize(into: &coder, withIdentifier: Self.goodTag)
        case .unknown:
            try ASN1Null().serialize(into: &coder, withIdentifier: Self.unknownTag)
        case .revoked(let time, let reason):
            try coder.appendConstructedNode(identifier: Self.revokedTag) { coder in
                try coder.serialize(time)
                if let reason {
                    try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { try $0.serialize(reason) }
                }
            }
        }
    }
}

/// Why a certificate was revoked (RFC 5280 §5.3.1 CRLReason; value 7 is not used).
public enum OCSPRevocationReason: Int, DERImplicitlyTaggable, Hashable, Sendable, CustomStringConvertible {
    case unspecified = 0
    case keyCompromise = 1
    case cACompromise = 2
    case affiliationChanged = 3
    case superseded = 4
    case cessationOfOperation = 5
    case certificateHold = 6
    case removeFromCRL = 8
    case privilegeWithdrawn = 9
    case aACompromise = 10

    public static var defaultIdentifier: ASN1Identifier { .enumerated }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DEREnumeration.decode(rootNode, identifier, named: "CRLReason")
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try rawValue.serialize(into: &coder, withIdentifier: identifier)
    }

    public var description: String {
        switch self {
        case .unspecified: "unspecified"
        case .keyCompromise: "keyCompromise"
        case .cACompromise: "cACompromise"
        case .affiliationChanged: "affiliationChanged"
        case .superseded: "superseded"
        case .cessationOfOperation: "cessationOfOperation"
        case .certificateHold: "certificateHold"
        case .removeFromCRL: "removeFromCRL"
        case .privilegeWithdrawn: "privilegeWithdrawn"
        case .aACompromise: "aACompromise"
        }
    }
}
