import Crypto
import Foundation
import SwiftASN1

/// The hash used for a CertID's issuerNameHash and issuerKeyHash (RFC 6960 §4.1.1).
///
/// RFC 5019 §2.1.1 makes SHA-1 the one every lightweight responder must understand, so it is
/// the default; SHA-256 and up are available for responders that accept them.
public enum OCSPHashAlgorithm: String, Sendable, Hashable, CaseIterable {
    case sha1, sha256, sha384, sha512

    /// The AlgorithmIdentifier sent in a CertID: the hash OID with NULL parameters, the form
    /// RFC 5019 §2.1.1 requests use and every responder accepts.
    public var algorithmIdentifier: OCSPAlgorithmIdentifier {
        OCSPAlgorithmIdentifier(algorithm: oid, parameters: try! ASN1Any(erasing: ASN1Null()))
    }

    var oid: ASN1ObjectIdentifier {
        switch self {
        case .sha1: OCSPOID.sha1
        case .sha256: OCSPOID.sha256
        case .sha384: OCSPOID.sha384
        case .sha512: OCSPOID.sha512
        }
    }

    /// The algorithm named by `identifier`, or nil when it is not one this module supports.
    ///
    /// Parameters must be absent or NULL (RFC 5754 §2); anything else is refused.
    init?(_ identifier: OCSPAlgorithmIdentifier) {
        guard identifier.hasAbsentOrNullParameters,
              let match = Self.allCases.first(where: { $0.oid == identifier.algorithm })
        else { return nil }
        self = match
    }

    /// The digest of `bytes`.
    func hash<Bytes: DataProtocol>(_ bytes: Bytes) -> [UInt8] {
        switch self {
        case .sha1: Array(Insecure.SHA1.hash(data: bytes))
        case .sha256: Array(SHA256.hash(data: bytes))
        case .sha384: Array(SHA384.hash(data: bytes))
        case .sha512: Array(SHA512.hash(data: bytes))
        }
    }

    /// The digest length in bytes.
    var digestLength: Int {
        switch self {
        case .sha1: 20
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }
}
