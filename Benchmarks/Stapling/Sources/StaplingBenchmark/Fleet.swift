@_spi(OCSPWire) import AutocertOCSP
import AutocertStapling
import Crypto
import Foundation
import SwiftASN1
import X509

/// N leaf certificates of one CA, with a `good` OCSP response for each: the benchmark's input.
///
/// Everything is P-256 (as Let's Encrypt's ECDSA chains; its P-384 intermediates verify
/// about 3× slower, its RSA-2048 ones about 3× faster). One leaf key is shared, since the
/// leaf key plays no part in stapling; every leaf has its own serial and signature.
struct Fleet: Sendable {
    let caKey: P256.Signing.PrivateKey
    let ca: Certificate
    let caName: DistinguishedName
    let leafKey: P256.Signing.PrivateKey

    init(now: Date) throws {
        caKey = P256.Signing.PrivateKey()
        leafKey = P256.Signing.PrivateKey()
        caName = try DistinguishedName { CommonName("Benchmark CA") }
        ca = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(caKey.publicKey),
            notValidBefore: now.addingTimeInterval(-86_400), notValidAfter: now.addingTimeInterval(365 * 86_400),
            issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(caKey))
    }

    func leaf(_ index: Int, now: Date) throws -> Certificate {
        try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(leafKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(90 * 86_400),
            issuer: caName, subject: try DistinguishedName { CommonName("host\(index).bench.test") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                AuthorityInformationAccess([.init(method: .ocspServer, location: .uniformResourceIdentifier("http://127.0.0.1:9/"))])
            },
            issuerPrivateKey: .init(caKey))
    }

    /// A `good` response for `subject`, valid 4 days from `thisUpdate`, signed by the CA.
    func response(for subject: OCSPSubject, thisUpdate: Date) throws -> [UInt8] {
        var nameCoder = DER.Serializer()
        try nameCoder.serialize(caName)
        let data = OCSPResponseData(
            responderID: .byName(nameCoder.serializedBytes[...]),
            producedAt: try GeneralizedTime(thisUpdate),
            responses: [OCSPSingleResponse(certID: subject.certID(hash: .sha1), certStatus: .good,
                                           thisUpdate: try GeneralizedTime(thisUpdate),
                                           nextUpdate: try GeneralizedTime(thisUpdate.addingTimeInterval(4 * 86_400)))])
        var coder = DER.Serializer()
        try coder.serialize(data)
        let tbs = coder.serializedBytes
        let basic = OCSPBasicResponse(
            responseData: data, responseDataBytes: tbs[...],
            signatureAlgorithm: OCSPAlgorithmIdentifier(algorithm: [1, 2, 840, 10045, 4, 3, 2], parameters: nil),
            signature: Array(try caKey.signature(for: tbs).derRepresentation)[...], certificates: nil)
        return try OCSPResponse(responseStatus: .successful, responseBytes: OCSPResponseBytes(basic: basic)).derBytes()
    }
}

extension GeneralizedTime {
    init(_ date: Date) throws {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        try self.init(year: parts.year!, month: parts.month!, day: parts.day!, hours: parts.hour!, minutes: parts.minute!,
                      seconds: parts.second!, fractionalSeconds: 0)
    }
}

extension StapleID {
    /// The DER of `certificate` (what a server keeps for its chain).
    static func derForBenchmark(_ certificate: Certificate) -> [UInt8] {
        var coder = DER.Serializer()
        try! coder.serialize(certificate)
        return coder.serializedBytes
    }
}
