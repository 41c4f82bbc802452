import AutocertStorage
import AutocertTestSupport
import Foundation
import Testing

@Suite("DirectoryStorage and MemoryStorage")
struct DirectoryStorageTests {
    @Test("put, get and delete round-trip, a second delete is harmless, and no temporary file is left")
    func putGetDeleteRoundTrip() async throws {
        let temporary = try TemporaryDirectory(prefix: "storage")
        defer { temporary.remove() }
        let storage = try DirectoryStorage(path: temporary.file("store"))
        #expect(try await storage.get("ocsp-abc") == nil)
        try await storage.put("ocsp-abc", [1, 2, 3])
        #expect(try await storage.get("ocsp-abc") == [1, 2, 3])
        try await storage.put("ocsp-abc", [4])
        #expect(try await storage.get("ocsp-abc") == [4])
        try await storage.delete("ocsp-abc")
        try await storage.delete("ocsp-abc")
        #expect(try await storage.get("ocsp-abc") == nil)
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: storage.path).isEmpty)
    }

    @Test("the directory is 0700 and its files are 0600")
    func directoryIs0700AndFilesAre0600() async throws {
        let temporary = try TemporaryDirectory(prefix: "storage")
        defer { temporary.remove() }
        let storage = try DirectoryStorage(path: temporary.file("a/b"))
        try await storage.put("key", Array("secret".utf8))
        let directory = try FileManager.default.attributesOfItem(atPath: storage.path)
        let file = try FileManager.default.attributesOfItem(atPath: storage.path + "/key")
        #expect((directory[.posixPermissions] as? NSNumber)?.intValue == 0o700)
        #expect((file[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    @Test("names that are empty, could escape or hide, are too long or hold a space are refused", arguments: ["", "../escape", "a/b", ".hidden", String(repeating: "x", count: 201), "sp ace"])
    func refusesNamesThatCouldEscapeOrHide(_ name: String) async throws {
        let temporary = try TemporaryDirectory(prefix: "storage")
        defer { temporary.remove() }
        let storage = try DirectoryStorage(path: temporary.path)
        await #expect(throws: StorageError.self) { try await storage.put(name, [1]) }
        await #expect(throws: StorageError.self) { try await storage.get(name) }
    }

    @Test("a blob over the size limit is refused on read")
    func refusesOversizedBlobsOnRead() async throws {
        let temporary = try TemporaryDirectory(prefix: "storage")
        defer { temporary.remove() }
        let storage = try DirectoryStorage(path: temporary.path, maximumBlobBytes: 10)
        try await storage.put("big", Array(repeating: 7, count: 11))
        await #expect(throws: StorageError.self) { try await storage.get("big") }
    }

    @Test("a file where the directory should be is a StorageError")
    func aFileInTheWayIsAClearError() throws {
        let temporary = try TemporaryDirectory(prefix: "storage")
        defer { temporary.remove() }
        _ = FileManager.default.createFile(atPath: temporary.file("file"), contents: Data([1]))
        #expect(throws: StorageError.self) { try DirectoryStorage(path: temporary.file("file")) }
    }

    @Test("20 concurrent writers leave one whole value")
    func concurrentWritersLeaveOneWholeValue() async throws {
        let temporary = try TemporaryDirectory(prefix: "storage")
        defer { temporary.remove() }
        let storage = try DirectoryStorage(path: temporary.path)
        await withTaskGroup(of: Void.self) { group in
            for value in 0..<20 {
                group.addTask { try? await storage.put("same", Array(repeating: UInt8(value), count: 4096)) }
            }
        }
        let bytes = try #require(try await storage.get("same"))
        #expect(bytes.count == 4096 && Set(bytes).count == 1)
    }

    @Test("MemoryStorage puts, gets, lists and deletes")
    func memoryStorageRoundTrip() async throws {
        let storage = MemoryStorage()
        try await storage.put("a", [1])
        #expect(try await storage.get("a") == [1])
        #expect(storage.names == ["a"])
        try await storage.delete("a")
        #expect(try await storage.get("a") == nil)
    }
}
