import AutocertStorage
import AutocertTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension StorageConformanceTests {
    @Test("4 processes taking one lock 5 times each never hold it at once, and its tokens only increase", arguments: StorageKind.shared)
    func processesExcludeEachOther(_ kind: StorageKind) async throws {
        try await StorageFixture.with(kind) { fixture in
            let (store, environment) = try #require(fixture.probe)
            let temporary = try TemporaryDirectory(prefix: "probe")
            defer { temporary.remove() }
            let log = temporary.file("intervals")
            let probe = try BuiltProduct.path("AutocertStorageProbe")
            let probes = try (0..<4).map { _ in
                try TestProcess(probe, [store, "contend", "order-example.test", "5", "5", log], environment: environment)
            }
            for process in probes {
                let status = try await process.waitForExit(timeout: .seconds(120))
                #expect(status == 0, "\(process.outputText)")
            }
            let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
            #expect(lines.count == 40)
            var lastToken: UInt64 = 0
            for pair in stride(from: 0, to: lines.count - 1, by: 2) {
                let (start, end) = (lines[pair], lines[pair + 1])
                // Each interval is closed by its own holder before any other begins.
                #expect(start.count == 3 && start[0] == "start", "line \(pair): \(start)")
                #expect(end == ["end"] + start.dropFirst(), "line \(pair + 1): \(end) after \(start)")
                let token = try #require(UInt64(start[1]))
                #expect(token > lastToken, "token \(token) after \(lastToken)")
                lastToken = token
            }
            #expect(Set(lines.map { $0.last ?? "" }).count == 4)
        }
    }

    @Test("a holder killed with SIGKILL loses its lock: DirectoryStorage's at once, PostgresStorage's once its lease ends", arguments: StorageKind.shared)
    func killedHolderLosesTheLock(_ kind: StorageKind) async throws {
        try await StorageFixture.with(kind) { fixture in
            let (store, environment) = try #require(fixture.probe)
            let lease: Duration = .seconds(6)
            let holder = try TestProcess(try BuiltProduct.path("AutocertStorageProbe"), [store, "hold", "order-example.test", "6000"], environment: environment)
            var killed = false
            defer { if !killed { kill(holder.pid, SIGKILL) } }
            try await Poll.until("the probe to hold the lock", timeout: .seconds(30)) {
                if !holder.isRunning { throw TestSupportError("the probe exited: \(holder.outputText)") }
                return holder.outputText.contains("held ")
            }
            let token = try #require(holder.outputText.split(separator: "\n").first { $0.hasPrefix("held ") }.flatMap { UInt64($0.dropFirst(5)) })
            #expect(try await fixture.storage.tryLock("order-example.test", lease: .seconds(30)) == nil)
            kill(holder.pid, SIGKILL)
            killed = true
            try await holder.waitForExit(timeout: .seconds(10))
            let killedAt = ContinuousClock.now
            if kind == .postgres {
                // The lease was renewed at most a third of it ago: it has not ended yet.
                #expect(try await fixture.storage.tryLock("order-example.test", lease: .seconds(30)) == nil)
            }
            var next: StorageLock?
            try await Poll.until("the killed holder's lock to come free", timeout: kind == .postgres ? lease + .seconds(10) : .seconds(5), interval: .milliseconds(50)) {
                next = try await fixture.storage.tryLock("order-example.test", lease: .seconds(30))
                return next != nil
            }
            let waited = ContinuousClock.now - killedAt
            #expect(try #require(next).token > token)
            if kind == .directory { #expect(waited < .seconds(2), "waited \(waited)") }
        }
    }
}
