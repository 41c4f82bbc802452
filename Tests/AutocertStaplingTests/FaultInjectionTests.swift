@testable import AutocertStapling
import AutocertCurl
import AutocertHTTP
@_spi(OCSPWire) import AutocertOCSP
import AutocertTestSupport
import Crypto
import Foundation
import SwiftASN1
import Synchronization
import Testing
import X509

/// A misbehaving responder on 127.0.0.1, reached through the real CurlTransport: the last
/// good staple is served until its nextUpdate and not a second longer, no bad response is
/// ever served, and the responder sees the backoff.
@Suite("Stapler against a misbehaving responder, through CurlTransport", .serialized)
struct FaultInjectionTests {
    enum Fault: String, CaseIterable, Sendable {
        case down, reset, slow, status500, html200, truncatedDER, wrongSigner, unauthorizedSigner
        case stale, futureThisUpdate, unknown, tryLater, oversized

        /// The failure code each fault must produce (nil: not a failure, but nothing served).
        var expectedCode: OCSPError.Code? {
            switch self {
            case .down, .reset, .oversized: .transportFailed
            case .slow: .timedOut
            case .status500: .httpStatus
            case .html200: .wrongContentType
            case .truncatedDER: .malformedResponse
            case .wrongSigner: .badSignature
            case .unauthorizedSigner: .unauthorizedSigner
            case .stale: .expired
            case .futureThisUpdate: .notYetValid
            case .unknown: nil
            case .tryLater: .tryLater
            }
        }
    }

    static let validity: TimeInterval = 6 * 3600

    @Test("through each fault the last good staple is served until its nextUpdate and not a second longer, nothing bad is served, and the responder sees the backoff", arguments: Fault.allCases)
    func theLastGoodStapleOutlivesNoFaultAndNoBadResponseIsServed(_ fault: Fault) async throws {
        let clock = ManualClock()
        let start = clock.now.addingTimeInterval(-3600)
        let pki = try InProcessPKI(notBefore: start)
        let leaf = try pki.leaf(notBefore: start, ocspURL: "http://unused.test/")
        let subject = try pki.subject(leaf)
        let attempts = Mutex<[Date]>([])
        let faulty = Atomic<Bool>(false)
        let other = try InProcessPKI(commonName: "Another CA", notBefore: start)
        let server = try LoopbackHTTPServer { _ in
            let now = clock.now
            attempts.withLock { $0.append(now) }
            if faulty.load(ordering: .relaxed) { return try! Self.reply(for: fault, pki: pki, other: other, subject: subject, now: now) }
            return .ocsp(try! pki.response(for: subject, thisUpdate: now, nextUpdate: now.addingTimeInterval(Self.validity)))
        }
        defer { server.stop() }
        let harness = Harness(clock: clock, transport: CurlTransport.shared, configuration: Harness.configuration(fetchTimeout: .milliseconds(400)))
        let id = await harness.manager.add(subject, responderURL: server.url)
        harness.start()
        defer { harness.cancel() }
        let good = try #require(await harness.manager.firstStaple(for: id, timeout: .seconds(10)))
        let nextUpdate = clock.now.addingTimeInterval(Self.validity)
        try await harness.settle()

        faulty.store(true, ordering: .relaxed)
        if fault == .down { server.stop() }

        // Walk every planned attempt up to one second before nextUpdate.
        var served: Set<[UInt8]> = [good]
        while true {
            let next = try #require(harness.manager.info(for: id)?.nextAttempt)
            if next >= nextUpdate.addingTimeInterval(-1) { break }
            try await harness.advance(next.timeIntervalSince(clock.now))
            if let staple = harness.manager.staple(for: id) { served.insert(staple) }
        }
        try await harness.advance(nextUpdate.addingTimeInterval(-1).timeIntervalSince(clock.now))
        #expect(harness.manager.staple(for: id) == good, "the last good staple is served until nextUpdate")
        #expect(served == [good], "no response from the faulty responder was ever served")
        clock.advance(by: 1)
        #expect(harness.manager.staple(for: id) == nil, "and not a second longer")

        let info = try #require(harness.manager.info(for: id))
        if let code = fault.expectedCode {
            #expect(info.lastFailure?.code == code, "\(info.lastFailure.map { "\($0)" } ?? "no failure")")
            // Backoff as the responder saw it (unit 0.5: the middle of each band, then the ceiling's).
            let times = attempts.withLock { $0 }.dropFirst()
            let gaps = zip(times.dropFirst(), times).map { $0.timeIntervalSince($1) }
            try #require(fault == .down || gaps.count >= 4, "the responder saw \(times.count) failing attempts")
            let expected = (1..<(gaps.count + 1)).map { 30 + (min(3600, 30 * pow(2, Double($0))) - 30) * 0.5 }
            if fault != .down {
                #expect(gaps == expected, "request gaps \(gaps)")
                #expect(times.count >= 5 && times.count <= 12, "bounded attempts in 3 hours: \(times.count)")
            } else {
                #expect(info.failureStreak >= 5 && info.failureStreak <= 12)
            }
        } else {
            #expect(info.lastFailure == nil)
            #expect(harness.events { $0.isFailed }.isEmpty, "unknown is not a failure to shout about")
        }
    }

    static func reply(for fault: Fault, pki: InProcessPKI, other: InProcessPKI, subject: OCSPSubject, now: Date) throws -> LoopbackHTTPServer.Reply {
        let next = now.addingTimeInterval(validity)
        switch fault {
        case .down, .reset:
            return .close
        case .slow:
            return .hang
        case .status500:
            return .respond(status: 500, headers: [], body: Array("oops".utf8))
        case .html200:
            return .respond(status: 200, headers: [("Content-Type", "text/html")], body: Array("<html>captive portal</html>".utf8))
        case .truncatedDER:
            let der = try pki.response(for: subject, thisUpdate: now, nextUpdate: next)
            return .ocsp(Array(der.prefix(der.count - 20)))
        case .wrongSigner:
            return .ocsp(try pki.response(for: subject, thisUpdate: now, nextUpdate: next, signingKey: P256.Signing.PrivateKey()))
        case .unauthorizedSigner:
            return .ocsp(try pki.response(for: subject, thisUpdate: now, nextUpdate: next, signingKey: other.key, responderName: other.name))
        case .stale:
            return .ocsp(try pki.response(for: subject, thisUpdate: now.addingTimeInterval(-8 * 86_400), nextUpdate: now.addingTimeInterval(-86_400),
                                          producedAt: now.addingTimeInterval(-3000)))
        case .futureThisUpdate:
            return .ocsp(try pki.response(for: subject, thisUpdate: now.addingTimeInterval(3600), nextUpdate: next.addingTimeInterval(3600), producedAt: now))
        case .unknown:
            return .ocsp(try pki.response(for: subject, status: .unknown, thisUpdate: now, nextUpdate: next))
        case .tryLater:
            return .ocsp(try InProcessPKI.errorResponse(.tryLater))
        case .oversized:
            return .ocsp(Array(repeating: 0x30, count: 200 * 1024))
        }
    }

    @Test("a revoked answer replaces the good staple and is reported")
    func aRevokedAnswerReplacesTheGoodStapleAndIsReported() async throws {
        let clock = ManualClock()
        let start = clock.now.addingTimeInterval(-3600)
        let pki = try InProcessPKI(notBefore: start)
        let subject = try pki.subject(try pki.leaf(notBefore: start, ocspURL: "http://unused.test/"))
        let revoked = Atomic<Bool>(false)
        let server = try LoopbackHTTPServer { _ in
            let now = clock.now
            let status: OCSPCertStatus = revoked.load(ordering: .relaxed) ? .revoked(time: try! GeneralizedTime(start), reason: .superseded) : .good
            return .ocsp(try! pki.response(for: subject, status: status, thisUpdate: now, nextUpdate: now.addingTimeInterval(Self.validity)))
        }
        defer { server.stop() }
        let harness = Harness(clock: clock, transport: CurlTransport.shared)
        let id = await harness.manager.add(subject, responderURL: server.url)
        harness.start()
        defer { harness.cancel() }
        let good = try #require(await harness.manager.firstStaple(for: id))
        revoked.store(true, ordering: .relaxed)
        try await harness.advance(Self.validity / 2)
        let staple = try #require(harness.manager.staple(for: id))
        #expect(staple != good)
        #expect(harness.manager.info(for: id)?.condition == .revoked)
        try await Poll.until("the revoked event") { harness.events { $0.isRevoked }.count == 1 }
        #expect(server.requests.count == 2)
    }
}

extension LoopbackHTTPServer.Reply {
    /// A 200 with `Content-Type: application/ocsp-response` and `der` as the body.
    static func ocsp(_ der: [UInt8]) -> Self {
        .respond(status: 200, headers: [("Content-Type", "application/ocsp-response")], body: der)
    }
}
