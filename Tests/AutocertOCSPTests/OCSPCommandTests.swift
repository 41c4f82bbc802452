import AutocertOCSP
import AutocertTestSupport
import Foundation
import Testing

/// The `ocsp` command's exit statuses and outputs against a real `openssl ocsp` responder.
@Suite("ocsp command", .serialized)
struct OCSPCommandTests {
    /// The `ocsp` executable built beside the test bundle.
    static var executable: String {
        get throws {
            let directory = Bundle.module.bundleURL.deletingLastPathComponent().path
            let path = directory + "/ocsp"
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw TestSupportError("the ocsp executable is not built at \(path); run `swift build` first")
            }
            return path
        }
    }

    @Test("check exits 0 for good, 1 for revoked, 2 for unknown and 3 with no answer; --json has fixed keys, and --batch exits with the worst status")
    func checkExitStatusesAndJSON() async throws {
        let setup = try await OCSPResponderIntegrationTests.Setup.start()
        defer { Task { await setup.stop() } }
        let ocsp = try Self.executable

        let good = try await TestProcess.run(ocsp, ["check", setup.good.chainPath])
        #expect(good.status == 0, "\(good.output)\nresponder log:\n\(setup.responder.log)\nindex:\n\((try? String(contentsOfFile: setup.responder.indexPath, encoding: .utf8)) ?? "")\ngood serial \(setup.good.serialHex)")
        #expect(good.output.hasPrefix("good"))

        let revoked = try await TestProcess.run(ocsp, ["check", setup.revoked.chainPath, "--json"])
        #expect(revoked.status == 1, "\(revoked.output)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(revoked.output.utf8)) as? [String: Any])
        #expect(object["status"] as? String == "revoked")
        #expect(object["revocationReason"] as? String == "keyCompromise")
        #expect(object["responder"] as? String == setup.responder.url)
        #expect(Set(object.keys) == ["status", "thisUpdate", "nextUpdate", "producedAt", "revocationTime", "revocationReason", "responder", "error"])

        let unknown = try await TestProcess.run(ocsp, ["check", setup.unlisted.chainPath])
        #expect(unknown.status == 2, "\(unknown.output)")

        let down = try await TestProcess.run(ocsp, ["check", setup.good.chainPath, "--url", "http://127.0.0.1:\(try FreePort.allocate())", "--timeout", "3"])
        #expect(down.status == 3)
        #expect(down.output.contains("no verified answer: transportFailed"))

        // Several certificates run concurrently; the worst status wins.
        let batchFile = setup.directory.file("batch.txt")
        try [setup.good.chainPath, setup.revoked.chainPath, setup.unlisted.chainPath].joined(separator: "\n").write(toFile: batchFile, atomically: true, encoding: .utf8)
        let batch = try await TestProcess.run(ocsp, ["check", "--batch", batchFile, "--json"])
        #expect(batch.status == 1, "\(batch.output)")
        #expect(batch.output.split(separator: "\n").count == 3)
        await setup.stop()
    }

    @Test("check --out writes a staple that verify accepts offline, and refuses past its validity, for another certificate, or as garbage")
    func outWritesAStapleThatVerifyAccepts() async throws {
        let setup = try await OCSPResponderIntegrationTests.Setup.start()
        defer { Task { await setup.stop() } }
        let ocsp = try Self.executable
        let staple = setup.directory.file("staple.der")
        let check = try await TestProcess.run(ocsp, ["check", setup.good.chainPath, "--issuer", setup.pki.ca.certificatePath, "--out", staple])
        #expect(check.status == 0, "\(check.output)")
        await setup.responder.stop()  // offline from here on

        let verify = try await TestProcess.run(ocsp, ["verify", staple, "--cert", setup.good.chainPath])
        #expect(verify.status == 0, "\(verify.output)")
        let later = try await TestProcess.run(ocsp, ["verify", staple, "--cert", setup.good.chainPath, "--at", "2099-01-01T00:00:00Z"])
        #expect(later.status == 3)
        #expect(later.output.contains("expired"))
        let wrongCert = try await TestProcess.run(ocsp, ["verify", staple, "--cert", setup.revoked.chainPath])
        #expect(wrongCert.status == 3)
        #expect(wrongCert.output.contains("noMatchingResponse"))
        let garbage = setup.directory.file("garbage.der")
        try Data("not DER".utf8).write(to: URL(fileURLWithPath: garbage))
        let bad = try await TestProcess.run(ocsp, ["verify", garbage, "--cert", setup.good.chainPath])
        #expect(bad.status == 3)
        #expect(bad.output.contains("malformedResponse"))
        setup.directory.remove()
    }
}
