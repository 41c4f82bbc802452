import AutocertStorage
import AutocertTestSupport
import Foundation
import Testing

extension StorageConformanceTests {
    @Test("a held lock excludes every other taker, through another instance too, until it is released", arguments: StorageKind.allCases)
    func lockExcludes(_ kind: StorageKind) async throws {
        try await StorageFixture.with(kind) { fixture in
            let first = try #require(try await fixture.storage.tryLock("order-example.test", lease: .seconds(30)))
            #expect(try await fixture.storage.tryLock("order-example.test", lease: .seconds(30)) == nil)
            #expect(try await fixture.other.tryLock("order-example.test", lease: .seconds(30)) == nil)
            // Another name is another lock.
            let elsewhere = try #require(try await fixture.other.tryLock("order-other.test", lease: .seconds(30)))
            #expect(try await fixture.storage.renew(first, lease: .seconds(30)))
            try await fixture.storage.unlock(first)
            let second = try #require(try await fixture.other.tryLock("order-example.test", lease: .seconds(30)))
            #expect(second.token > first.token)
            // Releasing a lock no longer held changes nothing.
            try await fixture.storage.unlock(first)
            #expect(try await fixture.storage.tryLock("order-example.test", lease: .seconds(30)) == nil)
            try await fixture.other.unlock(second)
            try await fixture.other.unlock(elsewhere)
        }
    }

    @Test("fencing tokens only increase, lock after lock and instance after instance", arguments: StorageKind.allCases)
    func tokensIncrease(_ kind: StorageKind) async throws {
        try await StorageFixture.with(kind) { fixture in
            var last: UInt64 = 0
            for round in 0..<20 {
                let storage = round.isMultiple(of: 2) ? fixture.storage : fixture.other
                let lock = try #require(try await storage.tryLock("renewal", lease: .seconds(30)))
                #expect(lock.token > last, "round \(round): \(lock.token) after \(last)")
                last = lock.token
                try await storage.unlock(lock)
            }
        }
    }

    @Test("a put fenced by the held lock is stored; after the lock is released it is refused with lockLost", arguments: StorageKind.allCases)
    func fencedPutNeedsTheLock(_ kind: StorageKind) async throws {
        try await StorageFixture.with(kind) { fixture in
            let lock = try #require(try await fixture.storage.tryLock("order-example.test", lease: .seconds(30)))
            try await fixture.storage.put("example.test", [1], fencedBy: lock)
            #expect(try await fixture.other.get("example.test") == [1])
            try await fixture.storage.unlock(lock)
            await expectStorageError(.lockLost, "a put fenced by a released lock") { try await fixture.storage.put("example.test", [2], fencedBy: lock) }
            #expect(try await fixture.other.get("example.test") == [1])
        }
    }

    @Test("a lease that ends frees the lock: the old holder cannot renew, and its fenced puts are refused even after the next holder released it", arguments: StorageKind.leased)
    func leaseExpiry(_ kind: StorageKind) async throws {
        try await StorageFixture.with(kind) { fixture in
            let old = try #require(try await fixture.storage.tryLock("staple-x", lease: .seconds(1)))
            let lease = try #require(old.expiresAt)
            #expect(lease.timeIntervalSinceNow < 5)
            #expect(try await fixture.other.tryLock("staple-x", lease: .seconds(30)) == nil)
            var next: StorageLock?
            try await Poll.until("the lease of 1 s to end", timeout: .seconds(10), interval: .milliseconds(50)) {
                next = try await fixture.other.tryLock("staple-x", lease: .seconds(30))
                return next != nil
            }
            let taken = try #require(next)
            #expect(taken.token > old.token)
            #expect(try await fixture.storage.renew(old, lease: .seconds(30)) == false)
            await expectStorageError(.lockLost, "a put fenced by a lock taken over") { try await fixture.storage.put("staple", [1], fencedBy: old) }
            try await fixture.other.put("staple", [2], fencedBy: taken)
            try await fixture.other.unlock(taken)
            await expectStorageError(.lockLost, "a put fenced by a lock taken over and released") { try await fixture.storage.put("staple", [3], fencedBy: old) }
            #expect(try await fixture.storage.get("staple") == [2])
        }
    }

    @Test("withLock runs its body holding the lock, renews a short lease while the body runs, and releases it", arguments: StorageKind.allCases)
    func withLockRenewsAndReleases(_ kind: StorageKind) async throws {
        try await StorageFixture.with(kind) { fixture in
            let other = fixture.other
            let token = try await fixture.storage.withLock("housekeeping", lease: .milliseconds(1500), waitingUpTo: .seconds(5)) { lock in
                // Twice the lease: only renewals (every 500 ms) keep others out.
                let until = ContinuousClock.now.advanced(by: .seconds(3))
                while ContinuousClock.now < until {
                    #expect(try await other.tryLock("housekeeping", lease: .seconds(30)) == nil)
                    try await Task.sleep(for: .milliseconds(100))
                }
                return lock.token
            }
            let after = try #require(try await other.tryLock("housekeeping", lease: .seconds(30)))
            #expect(after.token > token)
        }
    }

    @Test("withLock gives up with lockBusy when the lock stays held for its wait", arguments: StorageKind.allCases)
    func withLockBusy(_ kind: StorageKind) async throws {
        try await StorageFixture.with(kind) { fixture in
            let held = try #require(try await fixture.other.tryLock("busy", lease: .seconds(30)))
            await expectStorageError(.lockBusy, "withLock on a held lock") {
                _ = try await fixture.storage.withLock("busy", lease: .seconds(5), waitingUpTo: .milliseconds(300)) { _ in 1 }
            }
            try await fixture.other.unlock(held)
        }
    }
}
