import AutocertPostgres
import AutocertStorage
import AutocertTestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// PostgreSQL stopped under a running storage, then started again on the same data.
@Suite("PostgresStorage outage")
struct PostgresOutageTests {
    @Test("PostgreSQL stopped: every operation fails with unavailable within its timeout; restarted: the same storage works and hears changes again, and both are logged once")
    func stoppedAndRestarted() async throws {
        try await PostgresFixture.with { postgres in
            let storage = try await postgres.open(operationTimeout: .seconds(2))
            let other = try await postgres.open(operationTimeout: .seconds(2))
            try await PostgresFixture.running([storage, other]) {
                try await storage.put("before", [1])
                let lock = try #require(try await storage.tryLock("order", lease: .seconds(30)))

                await postgres.harness.shutDown()
                #expect(!postgres.harness.isRunning)
                let operations: [(String, @Sendable () async throws -> Void)] = [
                    ("get", { _ = try await storage.get("before") }),
                    ("put", { try await storage.put("during", [2]) }),
                    ("delete", { try await storage.delete("before") }),
                    ("list", { _ = try await storage.list(prefix: "") }),
                    ("tryLock", { _ = try await storage.tryLock("other", lease: .seconds(5)) }),
                    ("renew", { _ = try await storage.renew(lock, lease: .seconds(30)) }),
                    ("fenced put", { try await storage.put("during", [2], fencedBy: lock) }),
                ]
                for (name, operation) in operations {
                    let started = ContinuousClock.now
                    let error = await expectStorageError(.unavailable, "\(name) while PostgreSQL is down") { try await operation() }
                    #expect(error?.reason.contains(postgres.harness.url) == true, "\(String(describing: error))")
                    #expect(ContinuousClock.now - started < .seconds(4), "\(name) took \(ContinuousClock.now - started)")
                }
                try await Poll.until("the loss to be logged") { postgres.logs.contains(.warning, "lost the connection to PostgreSQL") }

                try await postgres.harness.start()
                try await Poll.until("the storage to work again", timeout: .seconds(30), interval: .milliseconds(200)) {
                    (try? await storage.get("before")) == [1]
                }
                #expect(try await storage.renew(lock, lease: .seconds(30)))
                try await storage.put("after", [3], fencedBy: lock)
                #expect(try await other.get("after") == [3])

                // The listener is back too: a change made now is heard by the other instance.
                try await Poll.until("the listeners to reconnect", timeout: .seconds(30)) { storage.isListening && other.isListening }
                let heard = Locked<[String]>([])
                try await withThrowingTaskGroup(of: Void.self) { group in
                    let stream = other.changes()
                    group.addTask { for await name in stream { heard.withLock { $0.append(name) } } }
                    defer { group.cancelAll() }
                    try await storage.put("announced", [4])
                    try await Poll.until("the change to be heard") { heard.withLock { $0.contains("announced") } }
                }
                #expect(postgres.logs.contains(.notice, "PostgreSQL is reachable again"))
                let warnings = postgres.logs.messages.filter { $0.contains("lost the connection to PostgreSQL") }
                #expect(warnings.count == 2, "one per instance: \(postgres.logs.text)")
            }
        }
    }

    @Test("PostgreSQL frozen with its connections open (SIGSTOP): operations fail with unavailable within their timeout instead of hanging; thawed, they work again")
    func frozenAndThawed() async throws {
        try await PostgresFixture.with { postgres in
            let storage = try await postgres.open(operationTimeout: .seconds(2))
            try await PostgresFixture.running([storage]) {
                try await storage.put("before", [1])
                postgres.harness.signalEveryProcess(SIGSTOP)
                for attempt in 0..<3 {
                    let started = ContinuousClock.now
                    let error = await expectStorageError(.unavailable, "get \(attempt) while PostgreSQL is frozen") { _ = try await storage.get("before") }
                    #expect(error?.reason.contains(postgres.harness.url) == true, "\(String(describing: error))")
                    // The first finds its pooled connection open and hung, and times out (later ones
                    // may be handed that connection while it closes, and fail at once).
                    if attempt == 0 { #expect(error?.reason.contains("did not read 'before' within") == true, "\(String(describing: error))") }
                    #expect(ContinuousClock.now - started < .seconds(4), "took \(ContinuousClock.now - started)")
                }
                postgres.harness.signalEveryProcess(SIGCONT)
                try await Poll.until("the storage to work again", timeout: .seconds(30), interval: .milliseconds(200)) {
                    (try? await storage.get("before")) == [1]
                }
            }
        }
    }
}
