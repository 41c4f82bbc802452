import AutocertStorage
import AutocertTestSupport
import Foundation
import Logging
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What init finds in an existing directory: its mode, and temporaries of interrupted writes.
@Suite("DirectoryStorage: housekeeping at init")
struct DirectoryStorageHousekeepingTests {
    @Test("an existing directory others can read (0755) is made 0700, with a warning naming it")
    func openDirectoryIsMadePrivate() throws {
        let temporary = try TemporaryDirectory(prefix: "storage")
        defer { temporary.remove() }
        let path = temporary.file("store")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        #expect(chmod(path, 0o755) == 0)
        let logs = LogCapture()
        _ = try DirectoryStorage(path: path, logger: logs.logger())
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o700)
        #expect(logs.contains(.warning, "changed its mode to 0700"), "\(logs.text)")
        #expect(logs.contains(.warning, path) && logs.contains(.warning, "previousMode=0755"), "\(logs.text)")

        let quiet = LogCapture()
        _ = try DirectoryStorage(path: path, logger: quiet.logger())
        #expect(quiet.messages.isEmpty, "a private directory is used without a word: \(quiet.text)")
    }

    @Test("temporary files left by interrupted writes are removed at init; young ones and files of others are kept")
    func abandonedTemporariesAreRemoved() async throws {
        let temporary = try TemporaryDirectory(prefix: "storage")
        defer { temporary.remove() }
        let path = temporary.file("store")
        let storage = try DirectoryStorage(path: path)
        try await storage.put("example.test", [1, 2, 3])
        let hourAgo = Date().addingTimeInterval(-3_600)
        let abandoned = [".example.test.12345678901234567890.tmp", ".ocsp-abc.7.tmp"]
        let kept = [".example.test.42.tmp", ".keep", ".notes.tmp", ".example.test.12ab.tmp", ".bad name.1.tmp", "notes.tmp"]
        for file in abandoned + kept {
            #expect(FileManager.default.createFile(atPath: path + "/" + file, contents: Data([9]), attributes: [.posixPermissions: 0o600]))
        }
        for file in abandoned + kept where file != ".example.test.42.tmp" {
            try FileManager.default.setAttributes([.modificationDate: hourAgo], ofItemAtPath: path + "/" + file)
        }

        let logs = LogCapture()
        let restarted = try DirectoryStorage(path: path, logger: logs.logger())
        let left = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        #expect(left == (kept + ["example.test"]).sorted())
        #expect(try await restarted.get("example.test") == [1, 2, 3])
        #expect(logs.contains(.notice, "removed temporary files left by interrupted writes"), "\(logs.text)")
        #expect(abandoned.allSatisfy { logs.contains(.notice, $0) }, "\(logs.text)")
    }
}
