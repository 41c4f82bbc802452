import AutocertACME
import AutocertCurl
import AutocertHTTP
import AutocertTestSupport
import Crypto
import Foundation
import Logging
import Testing

/// Records what the ACME client receives from a real Pebble, as seeds for the fuzzers in
/// Fuzz/ (`ACMEResponseFuzzer`, `StoredRecordFuzzer`). Runs only when
/// `AUTOCERT_FUZZ_SEEDS` names an output directory (Fuzz/Seeds/capture-seeds.sh sets it).
///
/// Pebble 2.4 has no renewal information and no profiles: those answers come from the
/// tests' ``ACMEFront`` over Pebble, as in the other tests, and are recorded the same way.
@Suite("Fuzz seeds: Pebble's answers as the ACME client received them")
struct FuzzSeedCaptureTests {
    static let output = ProcessInfo.processInfo.environment["AUTOCERT_FUZZ_SEEDS"]

    @Test("an issuance, its alternate chain, renewal information and failures are recorded, with stored records of the certificates",
          .enabled(if: output != nil, "set AUTOCERT_FUZZ_SEEDS to an output directory"))
    func record() async throws {
        let output = URL(fileURLWithPath: try #require(Self.output))
        var options = PebbleHarness.Options()
        options.alternateRoots = 1
        options.domainBlocklist = ["blocked.test"]  // Pebble 2.4 panics on a blocked name with more labels than an ordered one
        let pebble = try await PebbleHarness(options)
        do {
            try await record(pebble, into: output)
            await pebble.stop()
        } catch {
            print("pebble output (tail):\n" + String(pebble.pebbleOutput.suffix(3000)))
            await pebble.stop()
            throw error
        }
    }

    private func record(_ pebble: PebbleHarness, into output: URL) async throws {
        let curl = CurlTransport(configuration: .init(caBundlePath: pebble.httpsRootPEMFile))
        let front = ACMEFront(directoryURL: pebble.directoryURL, inner: curl,
                              profiles: ["classic": "The usual certificate", "shortlived": "Six days, no OCSP"])
        let now = Date()
        front.setWindow(start: now + 86_400, end: now + 2 * 86_400, explanationURL: "https://ca.invalid/incident", retryAfter: 21_600)
        let recorder = RecordingTransport(inner: front, directory: output.appendingPathComponent("acme"))
        var logger = Logger(label: "fuzz-seeds")
        logger.logLevel = .warning
        let client = ACMEClient(directoryURL: pebble.directoryURL, transport: recorder, configuration: .pebble, logger: logger)
        let responder = try HTTP01Responder(port: pebble.httpPort)
        defer { responder.stop() }

        let account = try await client.createAccount(key: .generateP256(), contact: ["mailto:seeds@fuzz.test"], termsOfServiceAgreed: true)
        _ = try? await client.findAccount(key: .generateP256())  // accountDoesNotExist
        for (index, type) in [CertificateKeyType.p256, .rsa2048].enumerated() {
            let key = try ACMECertificateKey.generate(type)
            let issued = try await client.issueCertificate(for: ["fuzz.test"], account: account, solver: HTTP01Solver(responder: responder), key: key)
            if let alternate = issued.chain.alternateURLs.first { _ = try await client.downloadCertificate(at: alternate, account: account) }
            _ = try await client.renewalInfo(forCertificate: issued.chain.certificatesDER[0])
            // The record as CertificateRecord stores it: the key, then the chain.
            let record = key.pemRepresentation + "\n" + issued.chain.pem
            try write(Array(record.utf8), to: output.appendingPathComponent("record/pebble-\(index)-\(type).pem"))
            if index == 1 {
                try await client.revoke(certificateDER: issued.chain.certificatesDER[0], reason: .superseded, signer: .account(account))
                _ = try? await client.revoke(certificateDER: issued.chain.certificatesDER[0], signer: .account(account))  // alreadyRevoked
            }
        }
        _ = try? await client.newOrder(for: ["blocked.test"], account: account)  // rejectedIdentifier
        // A validation that fails: the challenge is answered but nothing is served.
        let failing = try await client.newOrder(for: ["unserved.fuzz.test"], account: account)
        let authorization = try await client.authorization(at: failing.resource.authorizations[0], account: account)
        _ = try await client.respond(to: try #require(authorization.challenge(ACMEChallenge.http01)), account: account)
        _ = try? await client.waitForAuthorization(at: failing.resource.authorizations[0], account: account)
        _ = try? await client.order(at: failing.url, account: account)
        // A CSR for another name than the order's: badCSR.
        let other = try await client.newOrder(for: ["fuzz.test"], account: account)
        _ = try? await client.finalize(other, csrDER: try CSRBuilder.csr(for: ["other.fuzz.test"], key: .generate(.p256)), account: account)
        #expect(recorder.count > 10)
    }

    private func write(_ bytes: [UInt8], to file: URL) throws {
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
    }
}

/// An `HTTPTransport` that writes each non-empty response body it passes on to a file named
/// by its order, status and the first segment of its URL path (`007-201-my-order.json`),
/// once per distinct body.
private final class RecordingTransport: HTTPTransport {
    private let inner: any HTTPTransport
    private let directory: URL
    private let seen = Locked<(count: Int, digests: Set<String>)>((0, []))

    init(inner: any HTTPTransport, directory: URL) {
        self.inner = inner
        self.directory = directory
    }

    var count: Int { seen.withLock { $0.count } }

    func send(_ request: HTTPRequest, limits: HTTPLimits) async throws -> HTTPResponse {
        let response = try await inner.send(request, limits: limits)
        guard !response.body.isEmpty else { return response }
        let digest = SHA256.hash(data: response.body).map { String(format: "%02x", $0) }.joined()
        let index: Int? = seen.withLock { seen in
            guard seen.digests.insert(digest).inserted else { return nil }
            seen.count += 1
            return seen.count
        }
        guard let index else { return response }
        let segment = URL(string: request.url)?.pathComponents.dropFirst().first ?? "root"
        let isPEM = response.header("Content-Type")?.contains("pem") == true
        let name = String(format: "%03d-%d-%@.%@", index, response.status, segment, isPEM ? "pem" : "json")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(response.body).write(to: directory.appendingPathComponent(name))
        return response
    }
}
