import Foundation
import SwiftASN1

extension OCSPVerifier {
    /// The SingleResponse for the subject (RFC 6960 §3.2 (1), §4.2.2.3 matching).
    ///
    /// When several SingleResponses name the certificate, the most severe status wins
    /// (revoked, then unknown, then good), so a response can never be read as better than
    /// its worst statement.
    func matchingResponse(in data: OCSPResponseData, certID: OCSPCertID?) throws(OCSPError) -> OCSPSingleResponse {
        let matches = data.responses.filter { single in
            if let certID { return single.certID.matches(certID) }
            guard let hash = OCSPHashAlgorithm(single.certID.hashAlgorithm) else { return false }
            return single.certID.matches(subject.certID(hash: hash))
        }
        guard let first = matches.first else {
            let count = data.responses.count
            throw OCSPError(.noMatchingResponse, "none of the \(count) SingleResponse(s) is for serial \(hex(subject.certificateFields.serialNumber)) of '\(subject.issuerName)'; the responder answered for another certificate")
        }
        func severity(_ status: OCSPCertStatus) -> Int {
            switch status {
            case .revoked: 2
            case .unknown: 1
            case .good: 0
            }
        }
        return matches.dropFirst().reduce(first) { severity($1.certStatus) > severity($0.certStatus) ? $1 : $0 }
    }

    /// RFC 6960 §3.2 (4, 5) and §4.2.2.1: thisUpdate not in the future, nextUpdate (when
    /// present) not passed and not before thisUpdate, both within the clock skew; producedAt
    /// within the certificate's validity (a response produced outside it is not about it)
    /// and not later than `now` plus the clock skew (a response cannot have been signed
    /// after the moment it is verified at; RFC 6960 §4.2.1 defines producedAt as the time
    /// of signing).
    func checkTimes(single: OCSPSingleResponse, producedAt: GeneralizedTime, now: Date, policy: OCSPVerificationPolicy) throws(OCSPError) {
        let skew = policy.clockSkew.timeInterval
        let thisUpdate = Date(single.thisUpdate)
        guard thisUpdate.timeIntervalSince(now) <= skew else {
            throw OCSPError(.notYetValid, "thisUpdate \(iso(thisUpdate)) is in the future (now \(iso(now))); check this machine's clock or the responder's")
        }
        if let next = single.nextUpdate.map(Date.init) {
            guard next >= thisUpdate else {
                throw OCSPError(.invalidTimes, "nextUpdate \(iso(next)) is before thisUpdate \(iso(thisUpdate))")
            }
            guard now.timeIntervalSince(next) <= skew else {
                throw OCSPError(.expired, "nextUpdate \(iso(next)) has passed (now \(iso(now))); the responder is serving stale data")
            }
        } else if let maximumAge = policy.maximumAgeWithoutNextUpdate {
            guard now.timeIntervalSince(thisUpdate) <= maximumAge.timeInterval + skew else {
                throw OCSPError(.expired, "the response has no nextUpdate and its thisUpdate \(iso(thisUpdate)) is older than \(maximumAge)")
            }
        }
        let produced = Date(producedAt)
        guard produced >= subject.certificate.notValidBefore, produced <= subject.certificate.notValidAfter else {
            throw OCSPError(.invalidTimes, "producedAt \(iso(produced)) is outside the certificate's validity")
        }
        guard produced.timeIntervalSince(now) <= skew else {
            throw OCSPError(.notYetValid, "producedAt \(iso(produced)) is in the future (now \(iso(now))); check this machine's clock or the responder's")
        }
    }

    /// RFC 8954 §2.1: when a nonce was sent, the response must carry the same one.
    func checkNonce(_ data: OCSPResponseData, policy: OCSPVerificationPolicy) throws(OCSPError) {
        guard let expected = policy.expectedNonce else { return }
        let echoed = data.responseExtensions?.lazy.compactMap(\.nonceValue).first
        guard let echoed, echoed.elementsEqual(expected) else {
            throw OCSPError(.nonceMismatch, echoed == nil
                ? "the response carries no nonce although one was sent; the responder may serve cached responses (send no nonce to it)"
                : "the response's nonce differs from the one sent: it may be a replay")
        }
    }

    /// RFC 5280 §4.2 (applied by RFC 6960 §4.4): refuse critical extensions we do not process.
    /// Understood: the nonce in responseExtensions; the embedded SCT list (RFC 6962 §3.3)
    /// in singleExtensions.
    func checkCriticalExtensions(_ data: OCSPResponseData) throws(OCSPError) {
        for ext in data.responseExtensions ?? [] where ext.critical && ext.oid != OCSPOID.nonce {
            throw OCSPError(.unhandledCriticalExtension, "the response carries critical extension \(ext.oid), which this client does not process")
        }
        for single in data.responses {
            for ext in single.singleExtensions ?? [] where ext.critical && ext.oid != OCSPOID.signedCertificateTimestampList {
                throw OCSPError(.unhandledCriticalExtension, "a SingleResponse carries critical extension \(ext.oid), which this client does not process")
            }
        }
    }
}

func hex(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { byte in
        let digits = String(byte, radix: 16, uppercase: true)
        return digits.count == 1 ? "0" + digits : digits
    }.joined()
}

func iso(_ date: Date) -> String {
    date.formatted(.iso8601)
}
