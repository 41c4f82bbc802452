import AutocertACME
@testable import Autocert
import AutocertStorage
import AutocertTestSupport
import AutocertTLS
import Foundation
import Testing
import X509

@Suite("Manager: stored path and crash safety")
struct StoredPathTests {
    /// A valid stored record for `name`, made by `ca` the way the Manager stores it.
    static func record(_ name: String, ca: FakeCA) async throws -> CertificateRecord {
        let key = try ACMECertificateKey.generate(.p256)
        let chain = try await ca.issueCertificate(
            CertificateRequest(names: [name], key: key, mustStaple: false),
            challenges: ChallengeAnswers())
        return try CertificateRecord(name: name, key: key, chain: chain, now: Date())
    }

    @Test("a stored record is loaded and validated, with no CA call, and stapled")
    func loadsStored() async throws {
        let ca = try FakeCA()
        let record = try await Self.record("example.test", ca: ca)
        let storage = MemoryStorage(["example.test": Array(record.pem.utf8)])
        let harness = try Harness(storage: storage, ca: ca)
        defer { harness.stop() }
        try await harness.running {
            let key = try await harness.select(Harness.hello("example.test"))
            #expect(key.certificateChain == record.chain)
            #expect(key.ocspStaple != nil)
        }
        #expect(ca.issueCount == 1, "only the call that made the record")
        #expect(harness.events.contains { if case .loaded(name: "example.test", _, _) = $0 { true } else { false } })
    }

    static let damages: [(String, @Sendable (String) -> String)] = [
        ("truncated", { String($0.prefix($0.count / 2)) }),
        ("empty", { _ in "" }),
        ("garbage", { _ in "not a record\n" }),
        ("tampered base64", { pem in
            var lines = pem.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let index = lines.lastIndex { $0.hasPrefix("-----BEGIN CERTIFICATE") }! + 3
            lines[index] = String(lines[index].reversed())
            return lines.joined(separator: "\n")
        }),
        ("chain without key", { pem in String(pem[pem.range(of: "-----BEGIN CERTIFICATE")!.lowerBound...]) }),
    ]

    @Test("a damaged record is treated as absent, logged, reported and reissued", arguments: 0..<damages.count)
    func damagedRecord(_ index: Int) async throws {
        let ca = try FakeCA()
        let record = try await Self.record("example.test", ca: ca)
        let damaged = Self.damages[index].1(record.pem)
        let storage = MemoryStorage(["example.test": Array(damaged.utf8)])
        let harness = try Harness(storage: storage, stapleOCSP: false, ca: ca)
        defer { harness.stop() }
        let key = try await harness.select(Harness.hello("example.test"))
        #expect(ca.issueCount == 2, "\(Self.damages[index].0): reissued")
        #expect(key.certificateChain != record.chain)
        #expect(harness.logs.contains(.warning, "the stored certificate is invalid"))
        try await Poll.until("the invalid-record event") {
            harness.events.contains { if case .invalidStoredRecord(name: "example.test", _) = $0 { true } else { false } }
        }
        let stored = try #require(try await storage.get("example.test"))
        #expect(try CertificateRecord(name: "example.test", pem: String(decoding: stored, as: UTF8.self), now: Date()).chain == key.certificateChain)
    }

    @Test("a record is refused when its key does not match, it names another host, or it expired")
    func keyMismatch() async throws {
        let ca = try FakeCA()
        let record = try await Self.record("example.test", ca: ca)
        let otherKey = try ACMECertificateKey.generate(.p256)
        let mismatched = otherKey.pemRepresentation + record.pem[record.pem.range(of: "-----BEGIN CERTIFICATE")!.lowerBound...]
        #expect(throws: AutocertError.self) { try CertificateRecord(name: "example.test", pem: mismatched, now: Date()) }
        let otherName = #expect(throws: AutocertError.self) {
            try CertificateRecord(name: "other.test", pem: record.pem, now: Date())
        }
        #expect(otherName?.code == .invalidRecord)
        let expired = #expect(throws: AutocertError.self) {
            try CertificateRecord(name: "example.test", pem: record.pem, now: Date().addingTimeInterval(100 * 86_400))
        }
        #expect(expired?.code == .invalidRecord)
    }

    @Test("the key is stored before the CA is asked, and the pending copy goes once the record is stored")
    func keyWrittenFirst() async throws {
        let harness = try Harness(stapleOCSP: false)
        defer { harness.stop() }
        _ = try await harness.select(Harness.hello("example.test"))
        #expect(harness.ca.issued.first?.pendingKeyWasStored == true)
        #expect(try await harness.storage.get("example.test+key") == nil)
        #expect(try await harness.storage.get("example.test") != nil)
    }

    @Test("a pending key left by a crash is reused for the next order")
    func pendingKeyReused() async throws {
        let pending = try ACMECertificateKey.generate(.p256)
        let storage = MemoryStorage(["example.test+key": Array(pending.pemRepresentation.utf8)])
        let harness = try Harness(storage: storage, stapleOCSP: false)
        defer { harness.stop() }
        let key = try await harness.select(Harness.hello("example.test"))
        #expect(try Certificate(derEncoded: key.certificateChain[0]).publicKey == pending.privateKey.publicKey)
    }

    @Test("DirectoryStorage keeps records in 0600 files in a 0700 directory, and a restart serves them without the CA")
    func directoryStorage() async throws {
        let temporary = try TemporaryDirectory(prefix: "autocert-manager")
        defer { temporary.remove() }
        let path = temporary.file("store")
        let ca = try FakeCA()
        let first = try Harness(storage: try DirectoryStorage(path: path), stapleOCSP: false, ca: ca)
        let issued = try await first.select(Harness.hello("example.test"))
        first.stop()
        let attributes = try FileManager.default.attributesOfItem(atPath: path + "/example.test")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let directory = try FileManager.default.attributesOfItem(atPath: path)
        #expect((directory[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        // (.locks holds the order lock's file, no data.)
        let files = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0 != ".locks" }
        #expect(files == ["example.test"], "no pending key or temporary file left: \(files)")

        let restarted = try Harness(storage: try DirectoryStorage(path: path), stapleOCSP: false, ca: ca)
        defer { restarted.stop() }
        let loaded = try await restarted.select(Harness.hello("example.test"))
        #expect(loaded.certificateChain == issued.certificateChain)
        #expect(loaded.privateKey == issued.privateKey)
        #expect(ca.issueCount == 1)
    }

    @Test("a 253-octet name is stored under a short hashed name that DirectoryStorage accepts")
    func longName() async throws {
        let label = String(repeating: "a", count: 63)
        let name = [label, label, label, String(repeating: "b", count: 56), "test"].joined(separator: ".")
        #expect(name.utf8.count == 253)
        let temporary = try TemporaryDirectory(prefix: "autocert-long")
        defer { temporary.remove() }
        let harness = try Harness(names: [name], storage: try DirectoryStorage(path: temporary.file("store")), stapleOCSP: false)
        defer { harness.stop() }
        _ = try await harness.select(Harness.hello(name))
        let stored = try FileManager.default.contentsOfDirectory(atPath: temporary.file("store")).filter { $0 != ".locks" }
        #expect(stored.count == 1 && stored[0].hasPrefix("long-") && stored[0].count == 37, "\(stored)")
    }
}
