import AutocertStorage
import AutocertTestSupport
import Foundation
import Testing

/// The contract every store keeps (``BlobStorage``, ``LockingStorage``, ``ObservableStorage``),
/// checked against MemoryStorage, DirectoryStorage and PostgresStorage alike.
@Suite("Storage conformance")
struct StorageConformanceTests {
    @Test("get, put, overwrite and delete round-trip; a missing name reads as nil and deletes harmlessly", arguments: StorageKind.allCases)
    func roundTrip(_ kind: StorageKind) async throws {
        try await StorageFixture.with(kind) { fixture in
            let storage = fixture.storage
            #expect(try await storage.get("ocsp-abc") == nil)
            try await storage.delete("ocsp-abc")
            try await storage.put("ocsp-abc", [1, 2, 3])
            #expect(try await storage.get("ocsp-abc") == [1, 2, 3])
            #expect(try await fixture.other.get("ocsp-abc") == [1, 2, 3])
            try await storage.put("ocsp-abc", [4])
            #expect(try await storage.get("ocsp-abc") == [4])
            try await storage.put("empty", [])
            #expect(try await storage.get("empty") == [])
            try await storage.delete("ocsp-abc")
            try await storage.delete("ocsp-abc")
            #expect(try await storage.get("ocsp-abc") == nil)
            #expect(try await fixture.other.get("ocsp-abc") == nil)
        }
    }

    @Test("list finds the names with a prefix, every storable character included, '_' and '%' meaning themselves", arguments: StorageKind.allCases)
    func listByPrefix(_ kind: StorageKind) async throws {
        try await StorageFixture.with(kind) { fixture in
            let storage = fixture.storage
            let names = ["example.test", "example.test+key", "ocsp-AZaz09._-+", "ocsp_x", "ocspx"]
            for name in names { try await storage.put(name, Array(name.utf8)) }
            #expect(Set(try await storage.list(prefix: "")) == Set(names))
            #expect(Set(try await storage.list(prefix: "example.")) == ["example.test", "example.test+key"])
            #expect(try await storage.list(prefix: "ocsp_") == ["ocsp_x"])
            #expect(try await storage.list(prefix: "ocsp%") == [])
            #expect(try await storage.list(prefix: "none") == [])
            for name in names { #expect(try await storage.get(name) == Array(name.utf8)) }
        }
    }

    @Test("a 1 MiB value round-trips whole", arguments: StorageKind.allCases)
    func largeValue(_ kind: StorageKind) async throws {
        try await StorageFixture.with(kind) { fixture in
            let value = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
            try await fixture.storage.put("large", value)
            #expect(try await fixture.other.get("large") == value)
        }
    }

    @Test("names that are empty, could escape or hide, are too long or hold other characters are refused", arguments: [StorageKind.directory, .postgres])
    func refusesNames(_ kind: StorageKind) async throws {
        try await StorageFixture.with(kind) { fixture in
            let storage = fixture.storage
            for name in ["", "../escape", "a/b", ".hidden", String(repeating: "x", count: 201), "sp ace", "naïve", "a:b", "quote'"] {
                await expectStorageError(.invalidName, "put '\(name)'") { try await storage.put(name, [1]) }
                await expectStorageError(.invalidName, "get '\(name)'") { _ = try await storage.get(name) }
                await expectStorageError(.invalidName, "delete '\(name)'") { try await storage.delete(name) }
                await expectStorageError(.invalidName, "lock '\(name)'") { _ = try await storage.tryLock(name, lease: .seconds(5)) }
            }
            #expect(try await storage.list(prefix: "").isEmpty)
            try await storage.put(String(repeating: "x", count: 200), [1])
        }
    }

    @Test("20 concurrent writers of 64 KiB each leave one of their values, whole", arguments: StorageKind.allCases)
    func concurrentWriters(_ kind: StorageKind) async throws {
        try await StorageFixture.with(kind) { fixture in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<20 {
                    let storage = writer.isMultiple(of: 2) ? fixture.storage : fixture.other
                    group.addTask { try await storage.put("same", Array(repeating: UInt8(writer), count: 65_536)) }
                }
                try await group.waitForAll()
            }
            let bytes = try #require(try await fixture.storage.get("same"))
            #expect(bytes.count == 65_536)
            #expect(Set(bytes).count == 1 && bytes[0] < 20)
            #expect(try await fixture.other.get("same") == bytes)
        }
    }
}
