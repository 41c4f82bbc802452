@_spi(OCSPWire) import AutocertOCSP
import Crypto
import Foundation
import SwiftASN1
import X509

/// A CA and its certificates made in-process (no `openssl`), and OCSP responses of any shape.
struct InProcessPKI {
    let key: P256.Signing.PrivateKey
    let certificate: Certificate
    let name: DistinguishedName

    init(commonName: String = "Stapling Test CA", notBefore: Date, days: Double = 365) throws {
        key = P256.Signing.PrivateKey()
        name = try DistinguishedName { CommonName(commonName) }
        certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: notBefore, notValidAfter: notBefore.addingTimeInterval(days * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(key))
    }

    /// A leaf valid from `notBefore` for `lifetime` seconds; its AIA names `ocspURL` (none when nil).
    func leaf(_ commonName: String = "example.test", notBefore: Date, lifetime: TimeInterval = 90 * 86_400, ocspURL: String?) throws -> Certificate {
        let leafKey = P256.Signing.PrivateKey()
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(leafKey.publicKey),
            notValidBefore: notBefore, notValidAfter: notBefore.addingTimeInterval(lifetime),
            issuer: name, subject: try DistinguishedName { CommonName(commonName) }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                if let ocspURL {
                    AuthorityInformationAccess([.init(method: .ocspServer, location: .uniformResourceIdentifier(ocspURL))])
                }
            },
            issuerPrivateKey: .init(key))
    }

    func subject(_ leaf: Certificate) throws -> OCSPSubject {
        try OCSPSubject(certificate: leaf, issuer: certificate)
    }

    /// A signed OCSP response about `subject` (SHA-1 CertID, as the client asks).
    ///
    /// `signingKey` signs (default the CA's: a wrong key makes a bad signature); the
    /// ResponderID names `responderName` (default the CA).
    func response(
        for subject: OCSPSubject, status: OCSPCertStatus = .good, thisUpdate: Date, nextUpdate: Date?,
        producedAt: Date? = nil, signingKey: P256.Signing.PrivateKey? = nil, responderName: DistinguishedName? = nil
    ) throws -> [UInt8] {
        var nameCoder = DER.Serializer()
        try nameCoder.serialize(responderName ?? name)
        let data = OCSPResponseData(
            responderID: .byName(nameCoder.serializedBytes[...]),
            producedAt: try GeneralizedTime(producedAt ?? thisUpdate),
            responses: [OCSPSingleResponse(certID: subject.certID(hash: .sha1), certStatus: status,
                                           thisUpdate: try GeneralizedTime(thisUpdate), nextUpdate: try nextUpdate.map { try GeneralizedTime($0) })])
        var dataCoder = DER.Serializer()
        try dataCoder.serialize(data)
        let tbs = dataCoder.serializedBytes
        let signature = try (signingKey ?? key).signature(for: tbs).derRepresentation
        let basic = OCSPBasicResponse(
            responseData: data, responseDataBytes: tbs[...],
            signatureAlgorithm: OCSPAlgorithmIdentifier(algorithm: [1, 2, 840, 10045, 4, 3, 2], parameters: nil),
            signature: Array(signature)[...], certificates: nil)
        return try OCSPResponse(responseStatus: .successful, responseBytes: OCSPResponseBytes(basic: basic)).derBytes()
    }

    /// An unsigned error response (tryLater, internalError, …).
    static func errorResponse(_ status: OCSPResponseStatus) throws -> [UInt8] {
        try OCSPResponse(responseStatus: status, responseBytes: nil).derBytes()
    }
}

extension GeneralizedTime {
    /// `date` to the second, in UTC.
    init(_ date: Date) throws {
        let parts = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        try self.init(year: parts.year!, month: parts.month!, day: parts.day!, hours: parts.hour!, minutes: parts.minute!,
                      seconds: parts.second!, fractionalSeconds: 0)
    }
}
