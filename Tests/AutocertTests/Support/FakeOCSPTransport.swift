import AutocertHTTP
@_spi(OCSPWire) import AutocertOCSP
import Foundation
import SwiftASN1
import Synchronization
import X509

/// An HTTPTransport that answers OCSP requests for a ``FakeCA``'s certificates, signed by
/// the CA: `good`, or `revoked` once the test revoked the certificate. Counts requests.
final class FakeOCSPTransport: HTTPTransport {
    let ca: FakeCA
    let validity: TimeInterval
    private let now: @Sendable () -> Date
    private let count = Mutex(0)
    private let down = Mutex(false)

    /// While down, every request gets HTTP 503.
    func setDown(_ isDown: Bool) { down.withLock { $0 = isDown } }

    init(ca: FakeCA, validity: TimeInterval = 4 * 86_400, now: @escaping @Sendable () -> Date = { Date() }) {
        self.ca = ca
        self.validity = validity
        self.now = now
    }

    var requestCount: Int { count.withLock { $0 } }

    func send(_ request: HTTPRequest, limits: HTTPLimits) async throws -> HTTPResponse {
        count.withLock { $0 += 1 }
        if down.withLock({ $0 }) { return HTTPResponse(status: 503, headers: [], body: [], url: request.url) }
        guard let (issued, revokedReason) = ca.ocspStatus(forRequestURL: request.url) else {
            return HTTPResponse(status: 404, headers: [], body: [], url: request.url)
        }
        let thisUpdate = now().addingTimeInterval(-60)
        let subject = try OCSPSubject(certificate: issued.leaf, issuer: ca.certificate)
        let status: OCSPCertStatus = try revokedReason.map {
            .revoked(time: try GeneralizedTime(thisUpdate), reason: OCSPRevocationReason(rawValue: $0))
        } ?? .good
        var nameCoder = DER.Serializer()
        try nameCoder.serialize(ca.name)
        let data = OCSPResponseData(
            responderID: .byName(nameCoder.serializedBytes[...]),
            producedAt: try GeneralizedTime(thisUpdate),
            responses: [OCSPSingleResponse(certID: subject.certID(hash: .sha1), certStatus: status,
                                           thisUpdate: try GeneralizedTime(thisUpdate),
                                           nextUpdate: try GeneralizedTime(thisUpdate.addingTimeInterval(validity)))])
        var dataCoder = DER.Serializer()
        try dataCoder.serialize(data)
        let tbs = dataCoder.serializedBytes
        let signature = try ca.key.signature(for: tbs).derRepresentation
        let basic = OCSPBasicResponse(
            responseData: data, responseDataBytes: tbs[...],
            signatureAlgorithm: OCSPAlgorithmIdentifier(algorithm: [1, 2, 840, 10045, 4, 3, 2], parameters: nil),
            signature: Array(signature)[...], certificates: nil)
        let der = try OCSPResponse(responseStatus: .successful, responseBytes: OCSPResponseBytes(basic: basic)).derBytes()
        return HTTPResponse(status: 200, headers: [HTTPHeader(name: "Content-Type", value: "application/ocsp-response")], body: der, url: request.url)
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
