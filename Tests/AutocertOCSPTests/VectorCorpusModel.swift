@_spi(OCSPWire) import AutocertOCSP
import Foundation
import SwiftASN1
import X509

/// What verifying (or, where the corpus lacks the certificates, parsing) a response must yield.
enum Verdict: Sendable, Hashable, CustomStringConvertible {
    case good
    case revoked
    case unknown
    /// An ``OCSPError`` with this code.
    case rejected(OCSPError.Code)
    /// Parse-only rows: a successful response holding SingleResponses with these statuses.
    case parsed(good: Int, revoked: Int, unknown: Int)

    /// Whether this is a verified status (good, revoked or unknown).
    var accepts: Bool { [.good, .revoked, .unknown].contains(self) }

    var description: String {
        switch self {
        case .good: "good"
        case .revoked: "revoked"
        case .unknown: "unknown"
        case .rejected(let code): "rejected(\(code))"
        case .parsed(let g, let r, let u): "parsed(good: \(g), revoked: \(r), unknown: \(u))"
        }
    }
}

/// A certificate taken from a corpus file, or from the `certs` of a corpus response.
enum CertSource: Sendable, Hashable {
    case file(String, index: Int = 0)
    case embedded(inResponse: String, index: Int = 0)
}

/// The time to verify at (README "Verification times").
enum VerifyTime: Sendable, Hashable {
    case at(String)
    /// The response's own producedAt (OpenSSL, Go, pyca, cfssl rows).
    case producedAt
}

/// How a response row is checked.
enum ResponseCheck: Sendable, Hashable {
    /// Full verification of `cert`'s status with `issuer` (RFC 6960 §3.2).
    case verify(cert: CertSource, issuer: CertSource, time: VerifyTime)
    /// The corpus lacks the certificate asked about: the subject is `standIn`, a certificate
    /// `issuer` issued (the issuer itself when self-signed), and the CertID passed to the
    /// verifier is the response's first one. Signer, signature, time and extension rules
    /// still run; only the CertID-to-certificate match is assumed.
    case verifyCertID(standIn: CertSource, issuer: CertSource, time: VerifyTime, maximumAgeWithoutNextUpdate: Duration? = .seconds(7 * 86_400))
    /// No issuer in the corpus: parse the OCSPResponse and its BasicOCSPResponse.
    case parse
    /// A text file holding several base64 responses that must equal these DER files.
    case sameAs([String])
}

struct ResponseExpectation: Sendable {
    let check: ResponseCheck
    let verdict: Verdict
    /// Why, when the verdict is one of our decisions (docs/ocsp-vector-decisions.md).
    let decision: String?

    init(_ check: ResponseCheck, _ verdict: Verdict, decision: String? = nil) {
        self.check = check
        self.verdict = verdict
        self.decision = decision
    }
}

/// What a request row must yield.
enum RequestExpectation: Sendable, Hashable {
    /// Parses and re-serialises byte for byte.
    case roundTrip
    /// Parsing throws.
    case rejected(decision: String)
    /// Round-trips, and `OCSPSubject(certificate:issuer:).request()` builds exactly these bytes.
    case built(cert: String, issuer: String)
    /// `OCSPCertID(certificateDER:issuerDER:)` builds exactly these bytes, while
    /// `OCSPSubject` refuses the certificates (keys it cannot verify with).
    case builtFromDER(cert: String, issuer: String, decision: String)
    /// Parsing and the builder both refuse (strict DER); see decisions.
    case strictRejected(cert: String, decision: String)
    /// Round-trips, and matching its one CertID against `response`'s SingleResponses finds
    /// this status (nil: no match).
    case matches(response: String, status: Verdict?)
}

/// What a fragment row must yield.
enum FragmentExpectation: Sendable, Hashable {
    /// Parses and re-serialises byte for byte.
    case accepted(decision: String? = nil)
    case rejected(decision: String? = nil)
}

// MARK: Running a response check

enum ResponseRunner {
    /// The subject used to run the verifier on responses that fail before any
    /// subject-dependent rule (parse and responseStatus failures).
    static let bystanderCert = "boringssl/ocsp_unittest/good_response.cert.pem"
    static let bystanderIssuer = "boringssl/ocsp_unittest/good_response.ca.pem"
    static let bystanderTime = "2017-03-05T00:00:00Z"

    static func date(_ iso: String) -> Date {
        guard let date = ISO8601DateFormatter().date(from: iso) else { fatalError("bad ISO date \(iso)") }
        return date
    }

    static func certificate(_ source: CertSource) throws -> Certificate {
        try Certificate(derEncoded: certificateDER(source))
    }

    static func certificateDER(_ source: CertSource) throws -> [UInt8] {
        switch source {
        case .file(let path, let index):
            let all = try VectorFixtures.certificateDERs(path)
            guard all.indices.contains(index) else { throw FixtureError("\(path) holds no certificate #\(index)") }
            return all[index]
        case .embedded(let path, let index):
            let basic = try basicResponse(VectorFixtures.der(path))
            guard let certs = basic.certificates, certs.indices.contains(index) else {
                throw FixtureError("\(path) embeds no certificate #\(index)")
            }
            return Array(certs[index])
        }
    }

    static func basicResponse(_ der: [UInt8]) throws(OCSPError) -> OCSPBasicResponse {
        let response = try OCSPResponse(derBytes: der)
        guard let bytes = response.responseBytes else { throw OCSPError(.malformedResponse, "no responseBytes") }
        return try bytes.basicResponse()
    }

    /// The code a non-successful responseStatus maps to (RFC 6960 §4.2.1).
    static func code(for status: OCSPResponseStatus) -> OCSPError.Code? {
        switch status {
        case .successful: nil
        case .malformedRequest: .malformedRequest
        case .internalError: .internalError
        case .tryLater: .tryLater
        case .sigRequired: .sigRequired
        case .unauthorized: .unauthorized
        }
    }

    /// Parse-only outcome.
    static func parse(_ der: [UInt8]) -> Verdict {
        do throws(OCSPError) {
            let response = try OCSPResponse(derBytes: der)
            if let code = code(for: response.responseStatus) { return .rejected(code) }
            guard let bytes = response.responseBytes else { return .rejected(.malformedResponse) }
            let basic = try bytes.basicResponse()
            var good = 0, revoked = 0, unknown = 0
            for single in basic.responseData.responses {
                switch single.certStatus {
                case .good: good += 1
                case .revoked: revoked += 1
                case .unknown: unknown += 1
                }
            }
            return .parsed(good: good, revoked: revoked, unknown: unknown)
        } catch {
            return .rejected(error.code)
        }
    }

    static func verdict(of status: OCSPAnswer.Status) -> Verdict {
        switch status {
        case .good: .good
        case .revoked: .revoked
        case .unknown: .unknown
        }
    }

    static func time(_ time: VerifyTime, der: [UInt8]) throws -> Date {
        switch time {
        case .at(let iso): return date(iso)
        case .producedAt:
            // The time is read from the response itself; if it does not parse, the
            // verifier will reject it before any time rule matters.
            guard let basic = try? basicResponse(der) else { return date(bystanderTime) }
            let p = basic.responseData.producedAt
            var components = DateComponents()
            (components.year, components.month, components.day) = (p.year, p.month, p.day)
            (components.hour, components.minute, components.second) = (p.hours, p.minutes, p.seconds)
            components.timeZone = TimeZone(identifier: "UTC")
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            return calendar.date(from: components)!
        }
    }

    /// Builds the subject; a certificate that does not parse or an issuer that did not
    /// issue it yields the rejection `OCSPSubject` reports.
    static func subject(cert: CertSource, issuer: CertSource) -> Result<OCSPSubject, OCSPError> {
        // The issuer goes in as DER: only its name and key are used, so an issuer that
        // swift-certificates cannot parse whole (an MD5-signed root) still works.
        let certificate: Certificate, issuerDER: [UInt8]
        do {
            certificate = try self.certificate(cert)
            issuerDER = try certificateDER(issuer)
        } catch {
            return .failure(OCSPError(.invalidCertificate, "\(error)"))
        }
        do throws(OCSPError) {
            return .success(try OCSPSubject(certificate: certificate, issuerDER: issuerDER))
        } catch {
            return .failure(error)
        }
    }

    static func verify(_ der: [UInt8], subject: OCSPSubject, certID: OCSPCertID?, policy: OCSPVerificationPolicy, untrusted: [Certificate] = []) -> Verdict {
        do throws(OCSPError) {
            let verifier = OCSPVerifier(subject: subject, untrustedCertificates: untrusted)
            return verdict(of: try verifier.verify(der, certID: certID, policy: policy).status)
        } catch {
            return .rejected(error.code)
        }
    }

    /// Runs `check` on `der` and returns what happened.
    static func run(_ check: ResponseCheck, der: [UInt8]) throws -> Verdict {
        switch check {
        case .parse:
            return parse(der)
        case .sameAs:
            fatalError("sameAs is compared, not run")
        case .verify(let cert, let issuer, let time):
            switch subject(cert: cert, issuer: issuer) {
            case .failure(let error): return .rejected(error.code)
            case .success(let subject):
                return verify(der, subject: subject, certID: nil, policy: OCSPVerificationPolicy(now: try self.time(time, der: der)))
            }
        case .verifyCertID(let standIn, let issuer, let time, let maximumAge):
            switch subject(cert: standIn, issuer: issuer) {
            case .failure(let error): return .rejected(error.code)
            case .success(let subject):
                let certID = (try? basicResponse(der))?.responseData.responses.first?.certID
                let policy = OCSPVerificationPolicy(now: try self.time(time, der: der), maximumAgeWithoutNextUpdate: maximumAge)
                return verify(der, subject: subject, certID: certID, policy: policy)
            }
        }
    }
}
