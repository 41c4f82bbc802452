import AutocertOCSP
import AutocertTestSupport
import Foundation
import Testing

/// The `ocsp-custom-transport` example: the OCSP library on a transport of the program's own.
@Suite("OCSP custom transport example", .serialized)
struct OCSPCustomTransportExampleTests {
    /// The shared libraries `binary` loads, as `ldd` lists them (direct and indirect).
    static func loadedLibraries(_ binary: String) async throws -> [String] {
        let (status, output) = try await TestProcess.run("ldd", [binary])
        try #require(status == 0, "ldd \(binary) failed: \(output)")
        return output.split(separator: "\n").compactMap { $0.split(whereSeparator: \.isWhitespace).first.map(String.init) }
    }

    @Test("links no libcurl, while the ocsp command does")
    func linksNoLibcurl() async throws {
        let example = try await Self.loadedLibraries(BuiltProduct.path("ocsp-custom-transport"))
        let command = try await Self.loadedLibraries(BuiltProduct.path("ocsp"))
        // The check can fail: the ocsp command, which links AutocertCurl, shows libcurl.
        #expect(command.contains { $0.hasPrefix("libcurl") }, "\(command)")
        #expect(example.contains { $0.hasPrefix("libc.so") }, "\(example)")
        #expect(!example.contains { $0.hasPrefix("libcurl") }, "\(example)")
    }

    @Test("reports good and revoked from a real openssl ocsp responder")
    func reportsStatusFromOpenSSL() async throws {
        let setup = try await OCSPResponderIntegrationTests.Setup.start()
        defer { Task { await setup.stop() } }
        let example = try BuiltProduct.path("ocsp-custom-transport")

        let good = try await TestProcess.run(example, [setup.good.chainPath])
        #expect(good.status == 0, "\(good.output)\nresponder log:\n\(setup.responder.log)")
        #expect(good.output.hasPrefix("good"), "\(good.output)")
        #expect(good.output.contains("responder \(setup.responder.url)"), "\(good.output)")

        let revoked = try await TestProcess.run(example, [setup.revoked.chainPath, setup.responder.url])
        #expect(revoked.status == 1, "\(revoked.output)")
        #expect(revoked.output.hasPrefix("revoked, reason keyCompromise"), "\(revoked.output)")
        await setup.stop()
    }

    @Test("refuses https and a body over the cap with typed errors")
    func refusesWhatItCannotDo() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pki = try await TestPKI.create(in: directory.path)
        let leaf = try await pki.issueLeaf("leaf.test", ocspURL: "https://127.0.0.1:1/")
        let example = try BuiltProduct.path("ocsp-custom-transport")

        let https = try await TestProcess.run(example, [leaf.chainPath])
        #expect(https.status == 3, "\(https.output)")
        #expect(https.output.contains("is https, and this example transport speaks plain http only"), "\(https.output)")

        let huge = try LoopbackHTTPServer { _ in
            .respond(status: 200, headers: [("Content-Type", "application/ocsp-response")], body: [UInt8](repeating: 0x30, count: 70_000))
        }
        defer { huge.stop() }
        let capped = try await TestProcess.run(example, [leaf.chainPath, huge.url])
        #expect(capped.status == 3, "\(capped.output)")
        #expect(capped.output.contains("exceeds the 65536-byte cap"), "\(capped.output)")
    }
}
