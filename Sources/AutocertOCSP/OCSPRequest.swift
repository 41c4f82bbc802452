import SwiftASN1

/// An OCSP request (RFC 6960 §4.1.1).
///
/// ```
/// OCSPRequest     ::=     SEQUENCE {
///     tbsRequest                  TBSRequest,
///     optionalSignature   [0]     EXPLICIT Signature OPTIONAL }
/// ```
/// Requests built here are unsigned, as RFC 5019 §2.1 requires; a parsed request keeps its
/// optionalSignature as it was encoded so that it re-serialises byte for byte.
@_spi(OCSPWire) public struct OCSPRequest: DERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var tbsRequest: OCSPTBSRequest
    /// The encoded Signature, if the request was signed.
    public var optionalSignature: ASN1Any?

    public init(tbsRequest: OCSPTBSRequest, optionalSignature: ASN1Any? = nil) {
        self.tbsRequest = tbsRequest
        self.optionalSignature = optionalSignature
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let tbsRequest = try OCSPTBSRequest(derEncoded: &nodes)
            let signature = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                ASN1Any(derEncoded: $0)
            }
            return OCSPRequest(tbsRequest: tbsRequest, optionalSignature: signature)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(tbsRequest)
            if let optionalSignature {
                try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { coder in
                    try coder.serialize(optionalSignature)
                }
            }
        }
    }

    /// The DER encoding of this request.
    public func derBytes() throws -> [UInt8] {
        var coder = DER.Serializer()
        try coder.serialize(self)
        return coder.serializedBytes
    }

    /// Parses a DER-encoded request; trailing bytes are refused.
    public init(derBytes: some Collection<UInt8>) throws {
        try self.init(derEncoded: DER.parse(Array(derBytes)))
    }
}

/// The signed part of a request (RFC 6960 §4.1.1).
///
/// ```
/// TBSRequest      ::=     SEQUENCE {
///     version             [0]     EXPLICIT Version DEFAULT v1,
///     requestorName       [1]     EXPLICIT GeneralName OPTIONAL,
///     requestList                 SEQUENCE OF Request,
///     requestExtensions   [2]     EXPLICIT Extensions OPTIONAL }
/// ```
@_spi(OCSPWire) public struct OCSPTBSRequest: DERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    /// The version when it was encoded explicitly (nil means the default, v1).
    public var explicitVersion: Int?
    /// The requestor's GeneralName, as encoded.
    public var requestorName: ASN1Any?
    public var requestList: [OCSPSingleRequest]
    public var requestExtensions: [OCSPExtension]?

    public init(
        explicitVersion: Int? = nil,
        requestorName: ASN1Any? = nil,
        requestList: [OCSPSingleRequest],
        requestExtensions: [OCSPExtension]? = nil
    ) {
        self.explicitVersion = explicitVersion
        self.requestorName = requestorName
        self.requestList = requestList
        self.requestExtensions = requestExtensions
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let version = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                try Int(derEncoded: $0)
            }
            // RFC 6960 §4.1.1: v1 (0) is the only version.
            if let version, version != 0 {
                throw ASN1Error.invalidASN1Object(reason: "TBSRequest version \(version) is not v1")
            }
            let requestor = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 1, tagClass: .contextSpecific) {
                ASN1Any(derEncoded: $0)
            }
            let list = try DER.sequence(of: OCSPSingleRequest.self, identifier: .sequence, nodes: &nodes)
            let extensions = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 2, tagClass: .contextSpecific) {
                try OCSPExtensions.parse($0)
            }
            return OCSPTBSRequest(explicitVersion: version, requestorName: requestor, requestList: list, requestExtensions: extensions)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            if let explicitVersion {
                try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { try $0.serialize(explicitVersion) }
            }
            if let requestorName {
                try coder.serialize(explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific) { try $0.serialize(requestorName) }
            }
            try coder.serializeSequenceOf(requestList)
            if let requestExtensions {
                try coder.serialize(explicitlyTaggedWithTagNumber: 2, tagClass: .contextSpecific) {
                    try OCSPExtensions.serialize(requestExtensions, into: &$0)
                }
            }
        }
    }
}

/// One certificate asked about (RFC 6960 §4.1.1).
///
/// ```
/// Request         ::=     SEQUENCE {
///     reqCert                     CertID,
///     singleRequestExtensions     [0] EXPLICIT Extensions OPTIONAL }
/// ```
@_spi(OCSPWire) public struct OCSPSingleRequest: DERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var certID: OCSPCertID
    public var singleRequestExtensions: [OCSPExtension]?

    public init(certID: OCSPCertID, singleRequestExtensions: [OCSPExtension]? = nil) {
        self.certID = certID
        self.singleRequestExtensions = singleRequestExtensions
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let certID = try OCSPCertID(derEncoded: &nodes)
            let extensions = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                try OCSPExtensions.parse($0)
            }
            return OCSPSingleRequest(certID: certID, singleRequestExtensions: extensions)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(certID)
            if let singleRequestExtensions {
                try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) {
                    try OCSPExtensions.serialize(singleRequestExtensions, into: &$0)
                }
            }
        }
    }
}
