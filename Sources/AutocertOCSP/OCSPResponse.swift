import SwiftASN1

/// An OCSP response as sent by a responder and stapled by a server (RFC 6960 §4.2.1).
///
/// ```
/// OCSPResponse ::= SEQUENCE {
///    responseStatus         OCSPResponseStatus,
///    responseBytes          [0] EXPLICIT ResponseBytes OPTIONAL }
/// ```
@_spi(OCSPWire) public struct OCSPResponse: DERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var responseStatus: OCSPResponseStatus
    public var responseBytes: OCSPResponseBytes?

    public init(responseStatus: OCSPResponseStatus, responseBytes: OCSPResponseBytes?) {
        self.responseStatus = responseStatus
        self.responseBytes = responseBytes
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let status = try OCSPResponseStatus(derEncoded: &nodes)
            let bytes = try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                try OCSPResponseBytes(derEncoded: $0)
            }
            return OCSPResponse(responseStatus: status, responseBytes: bytes)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(responseStatus)
            if let responseBytes {
                try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { try $0.serialize(responseBytes) }
            }
        }
    }

    /// Parses the DER bytes of a whole response. Anything but exactly one DER OCSPResponse
    /// (truncation, trailing bytes, BER forms) throws ``OCSPError/Code/malformedResponse``.
    public init(derBytes: some Collection<UInt8>) throws(OCSPError) {
        do {
            self = try OCSPResponse(derEncoded: DER.parse(Array(derBytes)))
        } catch {
            throw OCSPError(.malformedResponse, "the bytes are not a DER OCSPResponse (\(error)); the responder sent something else, or it was cut short")
        }
    }

    /// The DER encoding of this response.
    public func derBytes() throws -> [UInt8] {
        var coder = DER.Serializer()
        try coder.serialize(self)
        return coder.serializedBytes
    }
}

/// The outcome of processing a request (RFC 6960 §4.2.1).
///
/// ```
/// OCSPResponseStatus ::= ENUMERATED {
///     successful            (0),  -- Response has valid confirmations
///     malformedRequest      (1),  -- Illegal confirmation request
///     internalError         (2),  -- Internal error in issuer
///     tryLater              (3),  -- Try again later
///                                 -- (4) is not used
///     sigRequired           (5),  -- Must sign the request
///     unauthorized          (6)   -- Request unauthorized }
/// ```
@_spi(OCSPWire) public enum OCSPResponseStatus: Int, DERImplicitlyTaggable, Hashable, Sendable {
    case successful = 0
    case malformedRequest = 1
    case internalError = 2
    case tryLater = 3
    case sigRequired = 5
    case unauthorized = 6

    public static var defaultIdentifier: ASN1Identifier { .enumerated }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DEREnumeration.decode(rootNode, identifier, named: "OCSPResponseStatus")
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try rawValue.serialize(into: &coder, withIdentifier: identifier)
    }

    /// The error this status means, for every status but `successful` (RFC 6960 §2.3).
    var error: OCSPError? {
        switch self {
        case .successful: nil
        case .malformedRequest: OCSPError(.malformedRequest, "the responder says the request was malformed; check the certificate and issuer pairing")
        case .internalError: OCSPError(.internalError, "the responder reported an internal error; retry later")
        case .tryLater: OCSPError(.tryLater, "the responder is temporarily unable to answer; retry later")
        case .sigRequired: OCSPError(.sigRequired, "the responder requires signed requests, which lightweight OCSP (RFC 5019) does not send")
        case .unauthorized: OCSPError(.unauthorized, "the responder cannot answer for this certificate; check the responder URL")
        }
    }
}

