import AutocertACME
@testable import Autocert
import AutocertStorage
import AutocertTestSupport
import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing

/// A damaged ACME account key in storage, against Pebble: kept aside, replaced, and the next
/// order succeeds with a new account.
@Suite("ACMECertificateAuthority: a damaged account key, end to end", .serialized)
struct AccountKeyRecoveryTests {
    static let damagedKeys: [(String, [UInt8])] = [
        ("PEM armour around garbage", Array("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n".utf8)),
        ("a truncated write", Array("-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEH".utf8)),
    ]

    @Test("a damaged account key is kept under a new name, a new account is made, the order succeeds, and a warning names the storage key",
          arguments: 0..<damagedKeys.count)
    func damagedAccountKeyIsKeptAsideAndReplaced(_ index: Int) async throws {
        let damaged = Self.damagedKeys[index].1
        let name = "account-recovery.example.com"
        try await PebbleSession.run { session in
            let pebble = session.pebble
            let logs = LogCapture()
            let logger = logs.logger(label: "autocert.e2e")
            let storage = MemoryStorage()
            let client = ACMEClient(directoryURL: pebble.directoryURL, trustedRootsPEMFile: pebble.httpsRootPEMFile,
                                    configuration: .pebble, logger: logger)
            let authority = ACMECertificateAuthority(client: client, storage: storage, email: nil, acceptsTermsOfService: true,
                                                     challengeTypes: [ACMEChallenge.http01], logger: logger)
            try await storage.put(authority.accountKeyName, damaged)
            let manager = try Manager(
                configuration: .init(storage: storage, hostPolicy: .allowing([name]), acceptsTermsOfService: true, stapleOCSP: false),
                certificateAuthority: authority, logger: logger)
            try await session.listenHTTP01(manager)

            _ = try await manager.certifiedKey(forName: name)

            let kept = storage.names.filter { $0.hasPrefix(authority.accountKeyName + ".damaged-") }
            #expect(kept.count == 1, "\(Self.damagedKeys[index].0): \(storage.names)")
            let keptAs = try #require(kept.first)
            #expect(keptAs.wholeMatch(of: /acme-account\+[0-9a-f]{16}\.damaged-[0-9]{8}T[0-9]{6}Z/) != nil, "\(keptAs)")
            #expect(try await storage.get(keptAs) == damaged, "the damaged bytes are kept as they were")
            let replacement = try #require(try await storage.get(authority.accountKeyName))
            let key = try ACMEAccountKey(pemRepresentation: String(decoding: replacement, as: UTF8.self))
            _ = try await client.findAccount(key: key)  // the new key has an account at the CA
            #expect(logs.contains(.warning, "account key was damaged"), "\(logs.text)")
            #expect(logs.contains(.warning, "storageKey=\(authority.accountKeyName)") && logs.contains(.warning, "keptAs=\(keptAs)"), "\(logs.text)")
        }
    }
}
