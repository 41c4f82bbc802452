@_spi(OCSPWire) import AutocertOCSP
import Foundation
import SwiftASN1
import Testing
import X509

/// The OCSP vector corpus (Fixtures/vectors, described by its README.md and MANIFEST.tsv):
/// every response, request, fragment and bundle row must yield what
/// ``VectorExpectations`` says, and every row of openssl/CASES.tsv what its group says.
@Suite("OCSP vector corpus")
struct VectorCorpusTests {
    // MARK: Responses

    @Test("response rows", arguments: VectorManifest.rows("response"))
    func response(_ row: ManifestRow) throws {
        try checkResponse(row)
    }

    @Test("response rows (GnuTLS, read from shared/)", .enabled(if: VectorFixtures.gnutlsAvailable, Comment(rawValue: VectorFixtures.gnutlsSkipMessage)),
          arguments: VectorManifest.rows("response", gnutls: true))
    func gnutlsResponse(_ row: ManifestRow) throws {
        try checkResponse(row)
    }

    private func checkResponse(_ row: ManifestRow) throws {
        let expectation = try #require(VectorExpectations.responses[row.path], "no expectation for \(row.path) (manifest: \(row.expected))")
        if case .sameAs(let paths) = expectation.check {
            let documents = VectorFixtures.base64Documents(try VectorFixtures.text(row.path))
            #expect(documents == (try paths.map(VectorFixtures.der)), "\(row.path) must hold exactly \(paths)")
            return
        }
        let der: [UInt8]
        do { der = try VectorFixtures.der(row.path) } catch {
            // A text form that does not even decode is a malformed response.
            #expect(expectation.verdict == .rejected(.malformedResponse), "\(row.path): \(error)")
            return
        }
        let actual = try ResponseRunner.run(expectation.check, der: der)
        #expect(actual == expectation.verdict, "\(row.path): manifest says \(row.expected)\(expectation.decision.map { "; our decision: \($0)" } ?? "")")

        // Whatever parses re-serialises to the very same bytes (DER is canonical and the
        // signed and certificate bytes are kept as they came).
        if let response = try? OCSPResponse(derBytes: der) {
            #expect(try response.derBytes() == der, "\(row.path) does not re-serialise byte for byte")
        }
        // A failure that comes before any subject-dependent rule must come out of the
        // verifier the same way, whatever subject it is given.
        if case .parse = expectation.check, case .rejected(let code) = expectation.verdict {
            let subject = try OCSPSubject(
                certificate: VectorFixtures.certificate(ResponseRunner.bystanderCert),
                issuer: VectorFixtures.certificate(ResponseRunner.bystanderIssuer))
            let viaVerifier = ResponseRunner.verify(der, subject: subject, certID: nil, policy: OCSPVerificationPolicy(now: ResponseRunner.date(ResponseRunner.bystanderTime)))
            #expect(viaVerifier == .rejected(code), "\(row.path): the verifier must refuse it as the parser does")
        }
    }

    // MARK: OpenSSL recipe cases

    @Test("openssl/CASES.tsv", arguments: VectorManifest.openSSLCases)
    func openSSLCase(_ testCase: OpenSSLCase) throws {
        let der = try VectorFixtures.der(testCase.response)
        let certPath = OpenSSLGroups.certificate(for: testCase)
        let issuer = try OpenSSLGroups.issuer(for: testCase)
        let actual = try ResponseRunner.run(.verify(cert: .file(certPath), issuer: issuer, time: .producedAt), der: der)
        let expected = OpenSSLGroups.verdict(group: testCase.group)
        #expect(actual == expected, "\(testCase.id): \(testCase.expected)")
        // The recipe's exit code and our verdict agree on pass/fail.
        #expect(actual.accepts == (testCase.expectedExit == 0), "\(testCase.id): OpenSSL recipe expects exit \(testCase.expectedExit)")
    }

    // MARK: Requests

    @Test("request rows", arguments: VectorManifest.rows("request"))
    func request(_ row: ManifestRow) throws {
        let expectation = try #require(VectorExpectations.requests[row.path], "no expectation for \(row.path) (manifest: \(row.expected))")
        let der = try VectorFixtures.der(row.path)
        let parsed = Result { try OCSPRequest(derBytes: der) }
        switch expectation {
        case .rejected(let decision), .strictRejected(_, let decision):
            #expect(throws: (any Error).self, "\(row.path) must be refused: \(decision)") { try parsed.get() }
        case .roundTrip, .built, .builtFromDER, .matches:
            let request = try parsed.get()
            #expect(try request.derBytes() == der, "\(row.path) does not re-serialise byte for byte")
        }
        switch expectation {
        case .built(let cert, let issuer):
            let subject = try OCSPSubject(certificate: VectorFixtures.certificate(cert), issuerDER: VectorFixtures.certificateDERs(issuer)[0])
            #expect(try subject.request().derBytes() == der, "OCSPSubject.request() must build exactly \(row.path)")
        case .builtFromDER(let cert, let issuer, let decision):
            let certID = try OCSPCertID(certificateDER: VectorFixtures.certificateDERs(cert)[0], issuerDER: VectorFixtures.certificateDERs(issuer)[0])
            let request = OCSPRequest(tbsRequest: OCSPTBSRequest(requestList: [OCSPSingleRequest(certID: certID)]))
            #expect(try request.derBytes() == der, "OCSPCertID(certificateDER:issuerDER:) must build exactly \(row.path)")
            #expect(throws: (any Error).self, "\(cert) must be refused by OCSPSubject: \(decision)") {
                try OCSPSubject(certificate: VectorFixtures.certificate(cert), issuerDER: VectorFixtures.certificateDERs(issuer)[0])
            }
        case .strictRejected(let cert, let decision):
            #expect(throws: (any Error).self, "\(cert) must be refused: \(decision)") { try VectorFixtures.certificate(cert) }
        case .matches(let responsePath, let status):
            let request = try parsed.get()
            let certID = try #require(request.tbsRequest.requestList.first?.certID)
            let basic = try ResponseRunner.basicResponse(VectorFixtures.der(responsePath))
            let found = basic.responseData.responses.first { $0.certID.matches(certID) }.map { single -> Verdict in
                switch single.certStatus {
                case .good: .good
                case .revoked: .revoked
                case .unknown: .unknown
                }
            }
            #expect(found == status, "\(row.path) in \(responsePath)")
        case .roundTrip, .rejected:
            break
        }
    }

    // MARK: Fragments

    @Test("fragment rows", arguments: VectorManifest.rows("fragment-certid", "fragment-singleresponse", "fragment-responsedata"))
    func fragment(_ row: ManifestRow) throws {
        let expectation = try #require(VectorExpectations.fragments[row.path], "no expectation for \(row.path) (manifest: \(row.expected))")
        let der = try VectorFixtures.der(row.path)
        let reserialised: Result<[UInt8], any Error> = Result {
            var coder = DER.Serializer()
            switch row.kind {
            case "fragment-certid": try coder.serialize(OCSPCertID(derEncoded: DER.parse(der)))
            case "fragment-singleresponse": try coder.serialize(OCSPSingleResponse(derEncoded: DER.parse(der)))
            default: try coder.serialize(OCSPResponseData(derEncoded: DER.parse(der)))
            }
            return coder.serializedBytes
        }
        switch expectation {
        case .accepted(let decision):
            let bytes = try reserialised.get()
            #expect(bytes == der, "\(row.path) does not re-serialise byte for byte\(decision.map { " (\($0))" } ?? "")")
        case .rejected(let decision):
            #expect(throws: (any Error).self, "\(row.path) must be refused: \(decision ?? row.expected)") { try reserialised.get() }
        }
    }

    // MARK: Bundles

    @Test("bundle rows", arguments: VectorManifest.rows("bundle"))
    func bundle(_ row: ManifestRow) throws {
        // boringssl/ocsp_unittest/X.pem holds X.resp.der, X.ca.pem, X.cert.pem and X.req.der.
        let base = String(row.path.dropLast(".pem".count))
        let blocks = PEMBlocks.parse(try VectorFixtures.text(row.path))
        func block(_ label: String) throws -> [UInt8] {
            try #require(blocks.first { $0.label == label }, "\(row.path) has no \(label) block").der
        }
        func pemDER(_ path: String) throws -> [UInt8] {
            try #require(PEMBlocks.parse(VectorFixtures.text(path)).first).der
        }
        #expect(try block("OCSP RESPONSE") == VectorFixtures.der(base + ".resp.der"))
        #expect(try block("CA CERTIFICATE") == pemDER(base + ".ca.pem"))
        #expect(try block("CERTIFICATE") == pemDER(base + ".cert.pem"))
        #expect(try block("OCSP REQUEST") == VectorFixtures.der(base + ".req.der"))
        // The response row carries the verdict; the bundle must agree with it.
        let expectation = try #require(VectorExpectations.responses[base + ".resp.der"])
        #expect(try ResponseRunner.run(expectation.check, der: block("OCSP RESPONSE")) == expectation.verdict, "\(row.path): \(row.expected)")
    }

    // MARK: Coverage

    /// Every row of a checked kind has an expectation and every expectation a row, so the
    /// table cannot drift from the manifest; prints the one-line summary.
    @Test("every manifest row has an expectation")
    func coverage() {
        let kinds = ["response", "request", "fragment-certid", "fragment-singleresponse", "fragment-responsedata", "bundle"]
        let rows = VectorManifest.rows.filter { kinds.contains($0.kind) }
        #expect(!rows.isEmpty, "MANIFEST.tsv was not found in the test bundle")
        let expected = Set(VectorExpectations.responses.keys).union(VectorExpectations.requests.keys).union(VectorExpectations.fragments.keys)
        for row in rows where row.kind != "bundle" {
            #expect(expected.contains(row.path), "no expectation for \(row.kind) row \(row.path)")
        }
        let manifestPaths = Set(rows.map(\.path))
        for path in expected.sorted() where !manifestPaths.contains(path) {
            Issue.record("expectation for \(path), which is not a checked row of MANIFEST.tsv")
        }
        #expect(VectorManifest.openSSLCases.count == 37, "openssl/CASES.tsv must hold the recipe's 37 cases")

        var counts: [String: Int] = [:]
        for row in rows where VectorFixtures.gnutlsAvailable || !VectorFixtures.isGnuTLS(row.path) { counts[row.kind, default: 0] += 1 }
        let skipped = VectorFixtures.gnutlsAvailable ? 0 : rows.filter { VectorFixtures.isGnuTLS($0.path) }.count
        let summary = kinds.map { "\($0) \(counts[$0, default: 0])" }.joined(separator: ", ")
        print("OCSP vector corpus: \(summary), openssl cases \(VectorManifest.openSSLCases.count); \(counts.values.reduce(0, +) + VectorManifest.openSSLCases.count) checked, \(skipped) GnuTLS rows skipped")
    }
}
