import SwiftASN1

/// The DER codec of an ASN.1 ENUMERATED with named values (X.690 §8.4), shared by every
/// enumeration of the OCSP types.
enum DEREnumeration {
    /// The named value `node` encodes; a value outside the enumeration is refused. Int's DER
    /// decoding already refuses non-minimal encodings and values that do not fit.
    static func decode<Value: RawRepresentable<Int>>(_ node: ASN1Node, _ identifier: ASN1Identifier, named name: String) throws -> Value {
        let raw = try Int(derEncoded: node, withIdentifier: identifier)
        guard let value = Value(rawValue: raw) else {
            throw ASN1Error.invalidASN1Object(reason: "\(name) \(raw) is outside the enumeration")
        }
        return value
    }
}
