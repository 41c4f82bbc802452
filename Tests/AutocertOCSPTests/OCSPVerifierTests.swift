@_spi(OCSPWire) import AutocertOCSP
import Crypto
import Foundation
import SwiftASN1
import Testing
import X509

/// Each RFC 6960 verification rule, broken one at a time on responses signed in-process.
@Suite("OCSPVerifier rules")
struct OCSPVerifierTests {
    let authority: TestAuthority
    let subject: OCSPSubject
    let verifier: OCSPVerifier

    init() throws {
        authority = try TestAuthority()
        let leaf = try authority.issue("leaf.test")
        subject = try OCSPSubject(certificate: leaf.certificate, issuer: authority.certificate)
        verifier = OCSPVerifier(subject: subject)
    }

    func builder() -> ResponseBuilder { ResponseBuilder(subject: subject, authority: authority) }

    /// A good response signed by `delegate`, whose certificate is included.
    func signed(by delegate: (certificate: Certificate, key: P256.Signing.PrivateKey), includeCertificate: Bool = true) -> ResponseBuilder {
        var response = builder()
        response.sign(as: delegate, embed: includeCertificate)
        return response
    }

    func expectError(_ code: OCSPError.Code, _ der: [UInt8], policy: OCSPVerificationPolicy = .init(), sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: OCSPError.self, sourceLocation: sourceLocation) {
            do { _ = try verifier.verify(der, policy: policy) } catch let error as OCSPError {
                #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
                throw error
            }
        }
    }

    @Test("a good response signed by the issuer, responder ID by key, verifies with its nextUpdate")
    func issuerSignedGoodByKeyVerifies() throws {
        let answer = try verifier.verify(try builder().build())
        #expect(answer.status == .good)
        #expect(answer.signer == .issuer)
        #expect(answer.nextUpdate != nil)
    }

    @Test("a response signed by the issuer with the responder ID by name verifies")
    func issuerSignedByNameVerifies() throws {
        var response = builder()
        response.responderID = try ResponseBuilder.byName(authority.certificate)
        #expect(try verifier.verify(response.build()).status == .good)
    }

    /// Some peers wrongly reject this; RFC 6960 allows any certs to be included.
    @Test("an issuer-signed response that embeds the issuer's own certificate verifies, as RFC 6960 allows")
    func issuerSignedWithItsOwnCertificateEmbeddedVerifies() throws {
        var response = builder()
        response.certificates = [authority.certificate]
        #expect(try verifier.verify(response.build()).signer == .issuer)
    }

    @Test("a delegated responder with OCSPSigning verifies as a delegated signer")
    func delegatedResponderWithOCSPSigningVerifies() throws {
        let delegate = try authority.issue("OCSP Responder", ocspURL: nil, ocspSigning: true)
        let response = signed(by: delegate)
        guard case .delegated = try verifier.verify(response.build()).signer else {
            Issue.record("expected a delegated signer")
            return
        }
    }

    @Test("a delegate without OCSPSigning is an unauthorized signer")
    func delegateWithoutOCSPSigningIsUnauthorized() throws {
        let delegate = try authority.issue("server", ocspURL: nil, ocspSigning: false)
        let response = signed(by: delegate)
        expectError(.unauthorizedSigner, try response.build())
    }

    @Test("a delegate issued by another CA with the same name is an unauthorized signer")
    func delegateIssuedBySomeoneElseIsUnauthorized() throws {
        let stranger = try TestAuthority(name: "Unit Test CA")  // same name, other key
        let delegate = try stranger.issue("OCSP Responder", ocspURL: nil, ocspSigning: true)
        let response = signed(by: delegate)
        expectError(.unauthorizedSigner, try response.build())
    }

    @Test("a delegate that expired before producedAt is an unauthorized signer")
    func delegateExpiredAtProducedAtIsUnauthorized() throws {
        let delegate = try authority.issue("OCSP Responder", ocspURL: nil, ocspSigning: true,
                                           notBefore: Date() - 86_400 * 10, notAfter: Date() - 86_400 * 5)
        let response = signed(by: delegate)
        expectError(.unauthorizedSigner, try response.build())
    }

    @Test("a delegate whose certificate the response does not carry is an unauthorized signer")
    func delegateNotIncludedIsUnauthorized() throws {
        let delegate = try authority.issue("OCSP Responder", ocspURL: nil, ocspSigning: true)
        expectError(.unauthorizedSigner, try signed(by: delegate, includeCertificate: false).build())
    }

    @Test("a signature by an unrelated key is a bad signature")
    func signatureByAnUnrelatedKeyFails() throws {
        var response = builder()
        response.signingKey = P256.Signing.PrivateKey()
        expectError(.badSignature, try response.build())
    }

    @Test("a response for another serial number has no match")
    func responseForAnotherSerialHasNoMatch() throws {
        var response = builder()
        response.certID.serialNumber = [0x01, 0x02, 0x03]
        expectError(.noMatchingResponse, try response.build())
    }

    @Test("a SHA-1 CertID does not answer a SHA-256 question, only a SHA-1 one")
    func responseWithOtherHashAlgorithmThanAskedHasNoMatch() throws {
        let der = try builder().build()
        let error = #expect(throws: OCSPError.self) { try verifier.verify(der, certID: subject.certID(hash: .sha256)) }
        #expect(error?.code == .noMatchingResponse)
        #expect(try verifier.verify(der, certID: subject.certID(hash: .sha1)).status == .good)
    }

    @Test("a nextUpdate 10 minutes past is expired; 2 minutes past, within the clock skew, is accepted")
    func staleNextUpdateIsExpiredButWithinSkewIsAccepted() throws {
        var response = builder()
        response.thisUpdate = Date() - 86_400
        response.nextUpdate = Date() - 600
        expectError(.expired, try response.build())
        response.nextUpdate = Date() - 120
        #expect(try verifier.verify(response.build()).status == .good)
    }

    @Test("a thisUpdate 10 minutes ahead is not yet valid; 2 minutes ahead, within the clock skew, is accepted")
    func futureThisUpdateIsNotYetValidButWithinSkewIsAccepted() throws {
        var response = builder()
        response.thisUpdate = Date() + 600
        expectError(.notYetValid, try response.build())
        response.thisUpdate = Date() + 120
        #expect(try verifier.verify(response.build()).status == .good)
    }

    @Test("producedAt a day after the verification time is not yet valid")
    func producedAtADayAheadIsNotYetValid() throws {
        var response = builder()
        response.producedAt = Date() + 86_400
        expectError(.notYetValid, try response.build())
    }

    @Test("producedAt ahead within the clock skew is accepted, beyond it is not yet valid")
    func producedAtAheadWithinSkewIsAccepted() throws {
        var response = builder()
        response.producedAt = Date() + 120
        #expect(try verifier.verify(response.build()).status == .good)
        response.producedAt = Date() + 600
        expectError(.notYetValid, try response.build())
    }

    @Test("a nextUpdate before thisUpdate is invalid")
    func nextUpdateBeforeThisUpdateIsInvalid() throws {
        var response = builder()
        response.nextUpdate = response.thisUpdate - 60
        expectError(.invalidTimes, try response.build())
    }

    @Test("without nextUpdate an 8-day-old response is expired by the maximum age, unless that bound is off")
    func noNextUpdateIsBoundedByMaximumAge() throws {
        var response = builder()
        response.nextUpdate = nil
        response.thisUpdate = Date() - 86_400 * 8
        expectError(.expired, try response.build())
        #expect(try verifier.verify(response.build(), policy: .init(maximumAgeWithoutNextUpdate: nil)).nextUpdate == nil)
    }

    @Test("verification at a given time judges the response at that time, not now")
    func verificationAtAGivenTimeUsesThatTime() throws {
        let der = try builder().build()
        expectError(.expired, der, policy: .init(now: Date() + 86_400 * 4))
        expectError(.notYetValid, der, policy: .init(now: Date() - 86_400))
    }

    @Test("a revoked answer carries its revocation time and reason")
    func revokedCarriesTimeAndReason() throws {
        var response = builder()
        let revokedAt = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 7_200).rounded(.down))
        response.status = .revoked(time: GeneralizedTime(revokedAt), reason: .keyCompromise)
        let answer = try verifier.verify(response.build())
        #expect(answer.status == .revoked(time: revokedAt, reason: .keyCompromise))
        #expect(answer.revocationReason == .keyCompromise)
    }

    @Test("an unknown status is reported as unknown")
    func unknownIsReportedAsUnknown() throws {
        var response = builder()
        response.status = .unknown
        #expect(try verifier.verify(response.build()).status == .unknown)
    }

    @Test("with good and revoked answers for the same CertID, revoked wins")
    func mostSevereOfSeveralMatchingResponsesWins() throws {
        var response = builder()
        response.extraSingleResponses = [OCSPSingleResponse(
            certID: subject.certID(), certStatus: .revoked(time: GeneralizedTime(Date() - 60), reason: nil),
            thisUpdate: GeneralizedTime(Date() - 60), nextUpdate: GeneralizedTime(Date() + 3_600))]
        guard case .revoked = try verifier.verify(response.build()).status else {
            Issue.record("good + revoked for the same CertID must read as revoked")
            return
        }
    }

    @Test("when a nonce was sent, a missing or different nonce is refused and the same one accepted")
    func nonceIsCheckedWhenOneWasSent() throws {
        let nonce: [UInt8] = Array(repeating: 7, count: 16)
        var response = builder()
        expectError(.nonceMismatch, try response.build(), policy: .init(expectedNonce: nonce))
        response.responseExtensions = [.nonce(Array(repeating: 8, count: 16))]
        expectError(.nonceMismatch, try response.build(), policy: .init(expectedNonce: nonce))
        response.responseExtensions = [.nonce(nonce)]
        #expect(try verifier.verify(response.build(), policy: .init(expectedNonce: nonce)).status == .good)
    }

    @Test("an unknown critical extension is refused in the response or a single response; a non-critical one is ignored")
    func unknownCriticalExtensionsAreRefused() throws {
        var response = builder()
        response.responseExtensions = [OCSPExtension(oid: [1, 2, 3, 4], critical: true, value: [0x05, 0x00])]
        expectError(.unhandledCriticalExtension, try response.build())
        response.responseExtensions = [OCSPExtension(oid: [1, 2, 3, 4], critical: false, value: [0x05, 0x00])]
        #expect(try verifier.verify(response.build()).status == .good)
        response.responseExtensions = nil
        response.singleExtensions = [OCSPExtension(oid: [1, 2, 3, 4], critical: true, value: [0x05, 0x00])]
        expectError(.unhandledCriticalExtension, try response.build())
    }

    @Test("a producedAt before the certificate's notBefore is invalid")
    func producedAtOutsideCertificateValidityIsInvalid() throws {
        let early = try authority.issue("late.test", notBefore: Date() - 600)
        let lateSubject = try OCSPSubject(certificate: early.certificate, issuer: authority.certificate)
        var response = ResponseBuilder(subject: lateSubject, authority: authority)
        response.producedAt = Date() - 86_400
        let error = #expect(throws: OCSPError.self) { try OCSPVerifier(subject: lateSubject).verify(response.build()) }
        #expect(error?.code == .invalidTimes)
    }

    @Test("an issuer that did not issue the certificate is refused when the subject is made")
    func wrongIssuerIsRefusedUpFront() throws {
        let stranger = try TestAuthority(name: "Another CA")
        let leaf = try authority.issue("leaf.test")
        let error = #expect(throws: OCSPError.self) { try OCSPSubject(certificate: leaf.certificate, issuer: stranger.certificate) }
        #expect(error?.code == .issuerMismatch)
    }

    /// `issuerSignatureVerified` skips only the signature check (the caller did it): an
    /// impostor with the issuer's name and another key passes the initialiser, and its
    /// responses still fail; another name is refused whatever the flag says.
    @Test("issuerSignatureVerified skips only the signature check: an impostor issuer's responses still fail, and another name is still refused")
    func issuerSignatureVerifiedSkipsOnlyTheSignature() throws {
        let leaf = try authority.issue("leaf.test")
        let impostor = try TestAuthority(name: "Unit Test CA")
        var coder = DER.Serializer()
        try coder.serialize(impostor.certificate)
        let impostorDER = coder.serializedBytes
        let error = #expect(throws: OCSPError.self) { try OCSPSubject(certificate: leaf.certificate, issuerDER: impostorDER) }
        #expect(error?.code == .issuerMismatch)
        let trusted = try OCSPSubject(certificate: leaf.certificate, issuerDER: impostorDER, issuerSignatureVerified: true)
        let real = try OCSPSubject(certificate: leaf.certificate, issuer: authority.certificate)
        let response = try ResponseBuilder(subject: real, authority: authority).build()
        #expect(throws: OCSPError.self) { try OCSPVerifier(subject: trusted).verify(response) }
        #expect(try OCSPVerifier(subject: real).verify(response).status == .good)

        let stranger = try TestAuthority(name: "Another CA")
        coder = DER.Serializer()
        try coder.serialize(stranger.certificate)
        let strangerDER = coder.serializedBytes
        let renamed = #expect(throws: OCSPError.self) {
            try OCSPSubject(certificate: leaf.certificate, issuerDER: strangerDER, issuerSignatureVerified: true)
        }
        #expect(renamed?.code == .issuerMismatch)
    }
}
