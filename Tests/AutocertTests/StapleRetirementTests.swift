@testable import Autocert
import AutocertStapling
import AutocertStorage
import AutocertTestSupport
import AutocertTLS
import Foundation
import Testing
import X509

/// A replaced certificate's staple file goes with it: the Manager's `install` retires the old
/// certificate from the stapler (`StaplingManager.remove`), which deletes its `ocsp-<hex>`.
@Suite("Manager: a replaced certificate's staple file is deleted")
struct StapleRetirementTests {
    /// The `ocsp-…` files in `path`, sorted.
    static func stapleFiles(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasPrefix("ocsp-") }.sorted()
    }

    /// The staple file name of the certificate served for `name` now (`ocsp-` + SHA-256 of the leaf).
    static func servedStapleFile(_ harness: Harness, _ name: String) -> String? {
        harness.manager.cachedKey(for: name).map { "ocsp-" + StapleID(leafDER: $0.certificateChain[0]).hex }
    }

    @Test("after a renewal, DirectoryStorage holds the new certificate's staple and not the old one's")
    func renewalDeletesTheOldStaple() async throws {
        let temporary = try TemporaryDirectory(prefix: "autocert-staples")
        defer { temporary.remove() }
        let path = temporary.file("store")
        let clock = ManualClock(Date())
        let harness = try Harness(storage: try DirectoryStorage(path: path), clock: clock)
        defer { harness.stop() }
        try await harness.running {
            let old = try await harness.select(Harness.hello("example.test"))
            #expect(old.ocspStaple != nil)
            let oldStaple = try #require(Self.servedStapleFile(harness, "example.test"))
            try await Poll.until("the first staple file") { try Self.stapleFiles(path) == [oldStaple] }

            let leaf = try Certificate(derEncoded: old.certificateChain[0])
            try await Poll.until("the scheduler to sleep") { clock.sleeperCount > 0 }
            clock.advance(to: leaf.notValidAfter.addingTimeInterval(-31.5 * 86_400))  // the renewal time (unit 0.5)
            try await Poll.until("the renewal") {
                harness.events.contains { if case .renewed(name: "example.test", _, _, _) = $0 { true } else { false } }
            }
            let newStaple = try #require(Self.servedStapleFile(harness, "example.test"))
            #expect(newStaple != oldStaple)
            // The new staple's write may still be landing; the old file must be gone for good.
            try await Poll.until("only the new certificate's staple file, not \(oldStaple)") { try Self.stapleFiles(path) == [newStaple] }
        }
    }

    @Test("after a revoked certificate is replaced, only the replacement's staple file is left")
    func revocationDeletesTheOldStaple() async throws {
        let temporary = try TemporaryDirectory(prefix: "autocert-staples")
        defer { temporary.remove() }
        let path = temporary.file("store")
        let harness = try Harness(storage: try DirectoryStorage(path: path))
        defer { harness.stop() }
        harness.ca.revokeFirst(reason: 1)
        try await harness.running {
            let first = try await harness.select(Harness.hello("example.test"))
            try await Poll.until("the replacement's good staple") {
                guard let served = harness.manager.cachedKey(for: "example.test") else { return false }
                return served.certificateChain[0] != first.certificateChain[0] && served.ocspStaple != nil
            }
            let replacement = try #require(Self.servedStapleFile(harness, "example.test"))
            #expect(replacement != "ocsp-" + StapleID(leafDER: first.certificateChain[0]).hex)
            try await Poll.until("only the replacement's staple file") { try Self.stapleFiles(path) == [replacement] }
        }
    }
}
