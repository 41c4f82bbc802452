import AutocertPostgres
import AutocertStorage
import AutocertTestSupport
import Foundation
import Testing

/// What only PostgresStorage does: connecting, its schema, and PostgreSQL going away and back.
@Suite("PostgresStorage")
struct PostgresStorageTests {
    @Test("nothing listening at start: unavailable within the timeout, naming the URL and what failed")
    func unreachableAtStart() async throws {
        let port = try FreePort.allocate()
        let url = "postgres://autocert@127.0.0.1:\(port)/autocert"
        let started = ContinuousClock.now
        do throws(StorageError) {
            _ = try await PostgresStorage(url: url, password: "not-this-one", operationTimeout: .seconds(5))
            Issue.record("connected to a port nothing listens on")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.reason.contains(url), "\(error)")
            #expect(error.reason.lowercased().contains("refused"), "\(error)")
            #expect(!error.reason.contains("not-this-one"))
        }
        #expect(ContinuousClock.now - started < .seconds(8))
    }

    @Test("a wrong password or a missing database at start: unavailable, saying which, never showing the password")
    func refusedAtStart() async throws {
        try await PostgresFixture.with { postgres in
            let harness = postgres.harness
            do throws(StorageError) {
                _ = try await PostgresStorage(url: harness.url, password: "wrong-password", operationTimeout: .seconds(5))
                Issue.record("logged in with a wrong password")
            } catch {
                #expect(error.code == .unavailable)
                #expect(error.reason.contains(harness.url) && error.reason.contains("password"), "\(error)")
                #expect(!error.reason.contains("wrong-password"))
            }
            do throws(StorageError) {
                _ = try await PostgresStorage(url: harness.url(database: "nowhere"), password: harness.password, operationTimeout: .seconds(5))
                Issue.record("opened a database that does not exist")
            } catch {
                #expect(error.code == .unavailable)
                #expect(error.reason.contains("'nowhere' does not exist"), "\(error)")
                #expect(!error.reason.contains(harness.password))
            }
        }
    }

    @Test("a URL that holds a password, or is no PostgreSQL URL, is refused without showing the password")
    func refusesURLs() async throws {
        for url in ["postgres://autocert:hunter2@127.0.0.1:5432/autocert", "mysql://autocert@127.0.0.1/autocert", "postgres://127.0.0.1/autocert"] {
            do throws(StorageError) {
                _ = try PostgresLocation(url: url)
                Issue.record("accepted \(url)")
            } catch {
                #expect(error.code == .unavailable)
                #expect(!error.reason.contains("hunter2"), "\(error)")
            }
        }
        let location = try PostgresLocation(url: "postgresql://autocert@db.internal")
        #expect(location.description == "postgres://autocert@db.internal:5432/autocert")
        #expect(!location.isLoopback)
    }

    @Test("two instances starting at once on an empty database migrate it once, to one schema version")
    func concurrentMigration() async throws {
        try await PostgresFixture.with { postgres in
            async let first = postgres.open()
            async let second = postgres.open()
            let (one, two) = try await (first, second)
            let versions = try await postgres.harness.superuser("SELECT count(*), max(version) FROM autocert_schema_version", database: postgres.harness.database)
            #expect(versions == "1|1")
            try await PostgresFixture.running([one, two]) {
                try await one.put("example.test", [1])
                #expect(try await two.get("example.test") == [1])
            }
            // A third start finds the schema up to date and changes nothing.
            _ = try await postgres.open()
            #expect(try await postgres.harness.superuser("SELECT count(*) FROM autocert_schema_version", database: postgres.harness.database) == "1")
            #expect(postgres.logs.messages.filter { $0.contains("schema migrated") }.count == 1)
        }
    }

    @Test("a put fenced by a lock that another holder is taking over waits for the takeover to commit, then is refused")
    func fencedPutWaitsForATakeover() async throws {
        try await PostgresFixture.with { postgres in
            let storage = try await postgres.open()
            try await PostgresFixture.running([storage]) {
                let lock = try #require(try await storage.tryLock("order", lease: .seconds(30)))
                // Another holder's takeover, left uncommitted for 2 s (as if its tryLock were slow).
                let takeover = try TestProcess("psql", [
                    "-X", "-q", "-h", postgres.harness.directory.path, "-p", "\(postgres.harness.port)", "-U", "postgres", "-d", postgres.harness.database,
                    "-c", "BEGIN; UPDATE autocert_locks SET token = nextval('autocert_lock_tokens') WHERE name = 'order'; SELECT pg_sleep(2); COMMIT;",
                ])
                try await Poll.until("the takeover to hold the lock row") {
                    try await postgres.harness.superuser("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'") == "1"
                }
                let started = ContinuousClock.now
                await expectStorageError(.lockLost, "a put fenced by a lock being taken over") { try await storage.put("example.test", [1], fencedBy: lock) }
                #expect(ContinuousClock.now - started > .milliseconds(500), "the put did not wait for the takeover")
                #expect(try await takeover.waitForExit() == 0, "\(takeover.outputText)")
                #expect(try await storage.get("example.test") == nil)
            }
        }
    }

    @Test("a value of 4 MiB round-trips; one over maximumBlobBytes is refused with tooLarge before it is sent")
    func valueSizes() async throws {
        try await PostgresFixture.with { postgres in
            let storage = try await postgres.open()
            let small = try await PostgresStorage(url: postgres.harness.url, password: postgres.harness.password, maximumBlobBytes: 1000)
            try await PostgresFixture.running([storage, small]) {
                let value = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 12) }
                try await storage.put("large", value)
                #expect(try await small.get("large") == value)
                await expectStorageError(.tooLarge, "a put of 1001 bytes") { try await small.put("big", Array(repeating: 1, count: 1001)) }
                try await small.put("big", Array(repeating: 1, count: 1000))
            }
        }
    }
}
