@_spi(OCSPWire) import AutocertOCSP
import Crypto
import Foundation
import SwiftASN1
import X509

/// Builds signed OCSP responses with our own ASN.1 types; every field can be set wrong.
struct ResponseBuilder {
    var certID: OCSPCertID
    var status: OCSPCertStatus = .good
    var thisUpdate = Date() - 3_600
    var nextUpdate: Date? = Date() + 3 * 86_400
    var producedAt = Date() - 3_600
    var responderID: OCSPResponderID
    var signingKey: P256.Signing.PrivateKey
    var certificates: [Certificate] = []
    var responseExtensions: [OCSPExtension]? = nil
    var singleExtensions: [OCSPExtension]? = nil
    var extraSingleResponses: [OCSPSingleResponse] = []

    /// A good response for `subject`, signed by its issuer `authority` (ResponderID byKey).
    init(subject: OCSPSubject, authority: TestAuthority) {
        self.certID = subject.certID()
        self.signingKey = authority.key
        self.responderID = .byKey(Self.keyHash(authority.key.publicKey))
    }

    /// Signs as the delegated responder `delegate` (ResponderID byKey), with its certificate
    /// in the response unless `embed` is false.
    mutating func sign(as delegate: (certificate: Certificate, key: P256.Signing.PrivateKey), embed: Bool = true) {
        signingKey = delegate.key
        responderID = .byKey(Self.keyHash(delegate.key.publicKey))
        certificates = embed ? [delegate.certificate] : []
    }

    /// SHA-1 of the subjectPublicKey BIT STRING contents: the uncompressed point for P-256.
    static func keyHash(_ key: P256.Signing.PublicKey) -> ArraySlice<UInt8> {
        Array(Insecure.SHA1.hash(data: key.x963Representation))[...]
    }

    /// ResponderID byName for `certificate`'s subject.
    static func byName(_ certificate: Certificate) throws -> OCSPResponderID {
        var coder = DER.Serializer()
        try coder.serialize(certificate.subject)
        return .byName(coder.serializedBytes[...])
    }

    func build() throws -> [UInt8] {
        let single = OCSPSingleResponse(
            certID: certID, certStatus: status,
            thisUpdate: GeneralizedTime(thisUpdate), nextUpdate: nextUpdate.map(GeneralizedTime.init),
            singleExtensions: singleExtensions)
        let data = OCSPResponseData(
            responderID: responderID, producedAt: GeneralizedTime(producedAt),
            responses: [single] + extraSingleResponses, responseExtensions: responseExtensions)
        var coder = DER.Serializer()
        try coder.serialize(data)
        let tbs = coder.serializedBytes
        let signature = try signingKey.signature(for: tbs).derRepresentation
        let basic = OCSPBasicResponse(
            responseData: data, responseDataBytes: tbs[...],
            signatureAlgorithm: OCSPAlgorithmIdentifier(algorithm: [1, 2, 840, 10045, 4, 3, 2], parameters: nil),
            signature: Array(signature)[...],
            certificates: certificates.isEmpty ? nil : try certificates.map { certificate in
                var coder = DER.Serializer()
                try coder.serialize(certificate)
                return coder.serializedBytes[...]
            })
        return try OCSPResponse(responseStatus: .successful, responseBytes: OCSPResponseBytes(basic: basic)).derBytes()
    }
}

extension GeneralizedTime {
    init(_ date: Date) {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: date)
        try! self.init(year: c.year!, month: c.month!, day: c.day!, hours: c.hour!, minutes: c.minute!, seconds: c.second!, fractionalSeconds: 0)
    }
}
