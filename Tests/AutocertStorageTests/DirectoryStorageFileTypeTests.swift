import AutocertStorage
import AutocertTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `get` under a name that holds something other than a regular file: refused at once.
@Suite("DirectoryStorage: only regular files are read")
struct DirectoryStorageFileTypeTests {
    /// Runs `get(name)` on a task of its own and waits at most 5 s for it. On timeout, a
    /// writer opens the FIFO at `fifo` (if given) so that a reader blocked in open(2) ends.
    func getFinishesAtOnce(_ storage: DirectoryStorage, _ name: String, unblocking fifo: String? = nil) async throws -> Result<[UInt8]?, StorageError> {
        let outcome = Locked<Result<[UInt8]?, StorageError>?>(nil)
        let task = Task {
            let result: Result<[UInt8]?, StorageError>
            do throws(StorageError) { result = .success(try await storage.get(name)) } catch { result = .failure(error) }
            outcome.withLock { $0 = result }
        }
        do {
            try await Poll.until("get('\(name)') to return", timeout: .seconds(5)) { outcome.withLock { $0 != nil } }
        } catch {
            if let fifo {
                let writer = open(fifo, O_WRONLY | O_NONBLOCK)
                if writer >= 0 { close(writer) }
            }
            await task.value
            throw error
        }
        return try #require(outcome.withLock { $0 })
    }

    @Test("a symbolic link under a name is refused, not followed")
    func symbolicLinkIsRefused() async throws {
        let temporary = try TemporaryDirectory(prefix: "storage")
        defer { temporary.remove() }
        let storage = try DirectoryStorage(path: temporary.file("store"))
        _ = FileManager.default.createFile(atPath: temporary.file("elsewhere"), contents: Data("not ours".utf8))
        try FileManager.default.createSymbolicLink(atPath: storage.path + "/example.test", withDestinationPath: temporary.file("elsewhere"))
        let result = try await getFinishesAtOnce(storage, "example.test")
        #expect(throws: StorageError.self) { try result.get() }
        if case .failure(let error) = result {
            #expect(error.code == .notRegularFile)
            #expect(error.reason.contains("example.test") && error.reason.contains("symbolic link"), "\(error)")
        }
    }

    @Test("a FIFO under a name is refused at once, without waiting for a writer")
    func fifoIsRefusedAtOnce() async throws {
        let temporary = try TemporaryDirectory(prefix: "storage")
        defer { temporary.remove() }
        let storage = try DirectoryStorage(path: temporary.file("store"))
        let fifo = storage.path + "/ocsp-abc"
        #expect(mkfifo(fifo, 0o600) == 0)
        let result = try await getFinishesAtOnce(storage, "ocsp-abc", unblocking: fifo)
        #expect(throws: StorageError.self) { try result.get() }
        if case .failure(let error) = result {
            #expect(error.code == .notRegularFile)
            #expect(error.reason.contains("FIFO"), "\(error)")
        }
    }

    @Test("a directory under a name is refused as not a regular file")
    func directoryIsRefused() async throws {
        let temporary = try TemporaryDirectory(prefix: "storage")
        defer { temporary.remove() }
        let storage = try DirectoryStorage(path: temporary.file("store"))
        try FileManager.default.createDirectory(atPath: storage.path + "/example.test", withIntermediateDirectories: false)
        let result = try await getFinishesAtOnce(storage, "example.test")
        #expect(throws: StorageError.self) { try result.get() }
        if case .failure(let error) = result { #expect(error.code == .notRegularFile, "\(error)") }
    }
}
