import AutocertACME
@testable import Autocert
import AutocertTLS
import AutocertStorage
import Crypto
import Foundation
import SwiftASN1
import Synchronization
import X509

/// An in-process CA for Manager tests (Go autocert's tests do the same): signs with
/// swift-certificates, counts orders, can hold or fail them, and answers OCSP through
/// ``FakeOCSPTransport`` with a status per certificate.
final class FakeCA: CertificateAuthority {
    struct Issued: Sendable {
        let names: [String]
        let leaf: Certificate
        let leafDER: [UInt8]
        let ocspURL: String
        /// Whether the order's key was already in storage under the pending-key name when the CA was asked.
        let pendingKeyWasStored: Bool
        /// Whether the Manager's selector served the tls-alpn-01 challenge certificate.
        let challengeServed: Bool
        /// Whether the request asked for Must-Staple (RFC 7633).
        let mustStaple: Bool
    }

    let key = P256.Signing.PrivateKey()
    let certificate: Certificate
    let certificateDER: [UInt8]
    let name: DistinguishedName
    let lifetime: TimeInterval
    private let now: @Sendable () -> Date
    private let state = Mutex(State())
    let gate = Gate()

    private struct State {
        var issued: [Issued] = []
        var calls = 0
        var failuresToInject = 0
        var injectedError: (any Error)?
        var revokedURLs: [String: OCSPRevocationReasonCode] = [:]
        var storage: (any BlobStorage)?
        var challengeCheck: (@Sendable (String) async -> Bool)?
        var revocations: [[UInt8]] = []
        var holding = false
        var revokeFirstReason: Int?
        var withoutOCSP = false
        var refusesMustStaple = false
        var requests: [CertificateRequest] = []
        var renewalInfo: (@Sendable (Issued) -> ACMERenewalInfo)?
        var renewalInfoRequests = 0
    }

    typealias OCSPRevocationReasonCode = Int

    init(lifetime: TimeInterval = 90 * 86_400, now: @escaping @Sendable () -> Date = { Date() }) throws {
        self.lifetime = lifetime
        self.now = now
        name = try DistinguishedName { CommonName("Fake Autocert CA") }
        let start = now().addingTimeInterval(-86_400)
        certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: start, notValidAfter: start.addingTimeInterval(10 * 365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(key))
        certificateDER = try certificate.derEncoded
    }

    // MARK: Test controls

    var issueCount: Int { state.withLock { $0.calls } }
    var issued: [Issued] { state.withLock { $0.issued } }
    var revocations: [[UInt8]] { state.withLock { $0.revocations } }
    func failNext(_ count: Int, with error: (any Error)? = nil) {
        state.withLock {
            $0.failuresToInject = count
            $0.injectedError = error
        }
    }
    /// Checks the pending key in `storage` at each order.
    func watchStorage(_ storage: any BlobStorage) { state.withLock { $0.storage = storage } }
    /// Asked with the name at each order, while the tls-alpn-01 answer is in place.
    func checkChallenge(_ check: @escaping @Sendable (String) async -> Bool) { state.withLock { $0.challengeCheck = check } }
    /// Makes orders wait at ``gate`` until it is opened.
    func hold() { state.withLock { $0.holding = true } }
    /// OCSP answers `revoked` (CRLReason `reason`) for the first certificate issued, from its first request.
    func revokeFirst(reason: Int) { state.withLock { $0.revokeFirstReason = reason } }
    /// Certificates from now on carry no OCSP URL (as Let's Encrypt's since 2025).
    func issueWithoutOCSP() { state.withLock { $0.withoutOCSP = true } }
    /// Orders asking for Must-Staple are refused with badCSR (as Let's Encrypt's since 2025).
    func refuseMustStaple() { state.withLock { $0.refusesMustStaple = true } }
    /// Answers renewal information (ARI) with `answer(certificate)` from now on (else none).
    func answerRenewalInfo(_ answer: @escaping @Sendable (Issued) -> ACMERenewalInfo) { state.withLock { $0.renewalInfo = answer } }
    /// How many times renewal information was asked for.
    var renewalInfoRequests: Int { state.withLock { $0.renewalInfoRequests } }
    /// Every request, refused ones included.
    var requests: [CertificateRequest] { state.withLock { $0.requests } }
    /// OCSP answers `revoked` (with CRLReason `reason`) for `issued`.
    func revoke(_ issued: Issued, reason: Int) { state.withLock { $0.revokedURLs[issued.ocspURL] = reason } }

    // MARK: CertificateAuthority

    func issueCertificate(_ request: CertificateRequest, challenges: ChallengeAnswers) async throws -> [[UInt8]] {
        let (index, storage, check, holding, withoutOCSP, refusesMustStaple) = state.withLock { state in
            state.calls += 1
            state.requests.append(request)
            return (state.calls, state.storage, state.challengeCheck, state.holding, state.withoutOCSP, state.refusesMustStaple)
        }
        if refusesMustStaple, request.mustStaple {
            throw ACMEError(.serverProblem, "the CA refused the request", problem: ACMEProblem(
                type: "urn:ietf:params:acme:error:badCSR", detail: "OCSP Must-Staple extension is no longer available", status: 400))
        }
        let name = request.names[0]
        var pendingKeyWasStored = false
        if let storage, let bytes = try await storage.get(CertificateRecord.pendingKeyName(for: name)) {
            let stored = try Certificate.PrivateKey(pemEncoded: String(decoding: bytes, as: UTF8.self))
            pendingKeyWasStored = stored.publicKey == request.privateKey.publicKey
        }
        let challenge = try selfSigned(name)
        challenges.setTLSALPN01(challenge, for: name)
        let challengeServed = await check?(name) ?? false
        challenges.removeTLSALPN01(for: name)
        if holding {
            await gate.wait()
            try Task.checkCancellation()
        }
        let failure = state.withLock { state -> (any Error)? in
            guard state.failuresToInject > 0 else { return nil }
            state.failuresToInject -= 1
            return state.injectedError ?? FakeCAError(reason: "injected failure")
        }
        if let failure { throw failure }
        let ocspURL = "http://ocsp.fake.test/c\(index)"
        let start = now().addingTimeInterval(-120)
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: request.privateKey.publicKey,
            notValidBefore: start, notValidAfter: start.addingTimeInterval(lifetime),
            issuer: self.name, subject: try DistinguishedName { CommonName(name) }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                SubjectAlternativeNames(request.names.map { .dnsName($0) })
                AuthorityKeyIdentifier(keyIdentifier: ArraySlice(Insecure.SHA1.hash(data: key.publicKey.x963Representation)))
                if !withoutOCSP {
                    AuthorityInformationAccess([.init(method: .ocspServer, location: .uniformResourceIdentifier(ocspURL))])
                }
            },
            issuerPrivateKey: .init(key))
        let leafDER = try leaf.derEncoded
        state.withLock {
            if index == 1, let reason = $0.revokeFirstReason { $0.revokedURLs[ocspURL] = reason }
            $0.issued.append(Issued(names: request.names, leaf: leaf, leafDER: leafDER, ocspURL: ocspURL,
                                    pendingKeyWasStored: pendingKeyWasStored, challengeServed: challengeServed, mustStaple: request.mustStaple))
        }
        return [leafDER, certificateDER]
    }

    func renewalInfo(forCertificate leafDER: [UInt8]) async throws -> ACMERenewalInfo? {
        state.withLock { state in
            guard let answer = state.renewalInfo, let issued = state.issued.first(where: { $0.leafDER == leafDER }) else { return nil }
            state.renewalInfoRequests += 1
            return answer(issued)
        }
    }

    func revokeCertificate(_ leafDER: [UInt8], reason: Int?) async throws {
        state.withLock { $0.revocations.append(leafDER) }
    }

    /// The OCSP status of the certificate whose responder URL starts `url`; nil for unknown ones.
    func ocspStatus(forRequestURL url: String) -> (Issued, Int?)? {
        state.withLock { state in
            guard let issued = state.issued.first(where: { url.hasPrefix($0.ocspURL + "/") }) else { return nil }
            return (issued, state.revokedURLs[issued.ocspURL])
        }
    }

    /// A self-signed certificate for `name` (a stand-in for the tls-alpn-01 certificate).
    func selfSigned(_ name: String) throws -> CertifiedKey {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(name) }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now().addingTimeInterval(-60), notValidAfter: now().addingTimeInterval(86_400),
            issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { SubjectAlternativeNames([.dnsName(name)]) },
            issuerPrivateKey: .init(key))
        return try CertifiedKey(certificateChain: [certificate.derEncoded], privateKey: Array(key.derRepresentation))
    }
}

struct FakeCAError: Error { let reason: String }

/// A one-shot latch: waiters suspend until ``open()``, or until their task is cancelled.
final class Gate: Sendable {
    private struct State {
        var open = false
        var next = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    func wait() async {
        let token = state.withLock { state -> Int in
            state.next += 1
            return state.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.open || Task.isCancelled { return true }
                    state.waiters[token] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: token) }?.resume()
        }
    }

    var waiting: Int { state.withLock { $0.waiters.count } }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }
}

extension Certificate {
    var derEncoded: [UInt8] {
        get throws {
            var serializer = DER.Serializer()
            try serializer.serialize(self)
            return serializer.serializedBytes
        }
    }
}

/// A value behind a lock, shareable between tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
