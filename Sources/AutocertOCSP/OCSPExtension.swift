import SwiftASN1

/// One extension of a request or response (RFC 5280 §4.1, used by RFC 6960 §4.4).
///
/// ```
/// Extension  ::=  SEQUENCE  {
///      extnID      OBJECT IDENTIFIER,
///      critical    BOOLEAN DEFAULT FALSE,
///      extnValue   OCTET STRING }
/// ```
@_spi(OCSPWire) public struct OCSPExtension: DERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    public var oid: ASN1ObjectIdentifier
    public var critical: Bool
    /// The contents of extnValue.
    public var value: ArraySlice<UInt8>

    public init(oid: ASN1ObjectIdentifier, critical: Bool = false, value: ArraySlice<UInt8>) {
        self.oid = oid
        self.critical = critical
        self.value = value
    }

    public init(derEncoded rootNode: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(rootNode, identifier: identifier) { nodes in
            let oid = try ASN1ObjectIdentifier(derEncoded: &nodes)
            let critical = try DER.decodeDefault(&nodes, defaultValue: false)
            let value = try ASN1OctetString(derEncoded: &nodes)
            return OCSPExtension(oid: oid, critical: critical, value: value.bytes)
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(oid)
            if critical { try coder.serialize(true) }
            try coder.serialize(ASN1OctetString(contentBytes: value))
        }
    }

    /// A nonce extension (RFC 6960 §4.4.1) carrying `nonce` as an OCTET STRING, the form
    /// RFC 8954 §2.1 prescribes.
    public static func nonce(_ nonce: [UInt8]) -> OCSPExtension {
        var coder = DER.Serializer()
        try! coder.serialize(ASN1OctetString(contentBytes: nonce[...]))
        return OCSPExtension(oid: OCSPOID.nonce, critical: false, value: coder.serializedBytes[...])
    }

    /// The nonce bytes, when this is a nonce extension. Accepts both the RFC 8954 form
    /// (an OCTET STRING inside extnValue) and the raw bytes some responders echo.
    var nonceValue: ArraySlice<UInt8>? {
        guard oid == OCSPOID.nonce else { return nil }
        if let node = try? DER.parse(value), let octets = try? ASN1OctetString(derEncoded: node) {
            return octets.bytes
        }
        return value
    }
}

/// `Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension` (RFC 5280 §4.1).
enum OCSPExtensions {
    static func parse(_ node: ASN1Node) throws -> [OCSPExtension] {
        let extensions = try DER.sequence(of: OCSPExtension.self, identifier: .sequence, rootNode: node)
        // SIZE (1..MAX): an empty list is not DER for this type.
        guard !extensions.isEmpty else {
            throw ASN1Error.invalidASN1Object(reason: "Extensions must hold at least one extension")
        }
        // RFC 5280 §4.2: no more than one instance of a particular extension.
        guard Set(extensions.map(\.oid)).count == extensions.count else {
            throw ASN1Error.invalidASN1Object(reason: "Extensions lists the same extension twice")
        }
        return extensions
    }

    static func serialize(_ extensions: [OCSPExtension], into coder: inout DER.Serializer) throws {
        try coder.serializeSequenceOf(extensions)
    }
}
