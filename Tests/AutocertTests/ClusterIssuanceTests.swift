@testable import Autocert
import AutocertACME
import AutocertStapling
import AutocertStorage
import AutocertTestSupport
import Foundation
import Testing

/// Orders in a cluster, in one process: three Managers sharing one locking storage
/// (`MemoryStorage`) and one CA, each with its own stapler and OCSP transport. Every
/// instance is asked for every name at once, as a load balancer spreading first handshakes
/// would; the CA must see one order per name and the responders one fetch per certificate.
/// (The same over PostgreSQL, with processes, Pebble and real validation, is in
/// `ClusterEndToEndTests`.)
@Suite("Manager in a cluster: one order per name, every instance serves every name")
struct ClusterIssuanceTests {
    static func cluster(names: [String], storage: MemoryStorage = MemoryStorage(), ca: FakeCA? = nil,
                        clock: ManualClock? = nil) throws -> [Harness] {
        let ca = try ca ?? FakeCA(now: { clock?.now ?? Date() })
        return try (0..<3).map { _ in try Harness(names: names, storage: storage, clock: clock, ca: ca) }
    }

    /// Runs `body` while every instance's Manager runs.
    static func running<R: Sendable>(_ instances: [Harness], _ body: @Sendable () async throws -> R) async throws -> R {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for instance in instances { group.addTask { try await instance.manager.run() } }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    @Test("20 names asked of 3 instances at once: 20 orders, 20 OCSP fetches, every instance serves every name stapled")
    func twentyNamesThreeInstances() async throws {
        let names = (1...20).map { "site\($0).cluster.test" }
        let instances = try Self.cluster(names: names)
        defer { for instance in instances { instance.stop() } }
        let ca = instances[0].ca
        ca.hold()  // orders wait at the gate: the race between instances stays open
        try await Self.running(instances) {
            // Every instance asked for every name, all at once.
            let served = try await withThrowingTaskGroup(of: (Int, String, [UInt8]).self) { group in
                for (index, instance) in instances.enumerated() {
                    for name in names {
                        group.addTask { (index, name, try await instance.select(Harness.hello(name)).certificateChain[0]) }
                    }
                }
                try await Poll.until("an order of every name to reach the CA") { ca.gate.waiting >= 20 }
                ca.gate.open()
                var served: [String: Set<[UInt8]>] = [:]
                for try await (_, name, leaf) in group { served[name, default: []].insert(leaf) }
                return served
            }
            #expect(ca.issueCount == 20, "one order per name across the cluster, not \(ca.issueCount)")
            #expect(Set(ca.issued.map { $0.names[0] }) == Set(names))
            for name in names {
                #expect(served[name]?.count == 1, "\(name): every instance serves the one certificate issued")
            }
            // Every instance staples every name; one OCSP fetch per certificate between them.
            for instance in instances {
                for name in names {
                    let key = try await instance.select(Harness.hello(name))
                    #expect(key.certificateChain[0] == served[name]?.first)
                }
            }
            try await Poll.until("every instance to staple every name") {
                instances.allSatisfy { instance in
                    instance.manager.health().stapled == names.count
                }
            }
            let fetches = instances.map(\.ocsp.requestCount)
            #expect(fetches.reduce(0, +) == 20, "one OCSP fetch per certificate between three instances: \(fetches)")
        }
    }

    @Test("the handshake path reads memory only: 600 certificate selections and staple reads on three instances ask storage nothing")
    func handshakesAskStorageNothing() async throws {
        let names = (1...10).map { "quiet\($0).cluster.test" }
        let storage = MemoryStorage()
        let instances = try Self.cluster(names: names, storage: storage)
        defer { for instance in instances { instance.stop() } }
        try await Self.running(instances) {
            for instance in instances {
                for name in names { _ = try await instance.select(Harness.hello(name)) }
            }
            try await Poll.until("every instance to staple every name") {
                instances.allSatisfy { $0.manager.health().stapled == names.count }
            }
            // Issuance, fetches and adoptions end with writes and the reads they notify; wait
            // until storage has been quiet for 300 ms, then count.
            var last = -1
            try await Poll.until("storage to be quiet", interval: .milliseconds(300)) {
                let now = storage.operationCount
                defer { last = now }
                return now == last
            }
            let before = storage.operationCount
            for _ in 0..<20 {
                for instance in instances {
                    for name in names {
                        let key = try await instance.select(Harness.hello(name))
                        #expect(key.ocspStaple != nil, "\(name) is served stapled")
                    }
                }
            }
            #expect(storage.operationCount == before, "storage operations during 600 handshakes' lookups: \(storage.operationCount - before)")
        }
    }

    @Test("an instance that holds an order lock and dies: another orders once its lease ends")
    func lockHolderDies() async throws {
        let storage = MemoryStorage()
        let instances = try Self.cluster(names: ["dead.cluster.test"], storage: storage)
        defer { for instance in instances { instance.stop() } }
        // A dead holder: it took the lock and will never renew it.
        let stale = try await storage.tryLock(Manager.orderLockName("dead.cluster.test"), lease: .seconds(2))
        #expect(stale != nil)
        try await Self.running([instances[0]]) {
            let started = ContinuousClock.now
            let key = try await instances[0].select(Harness.hello("dead.cluster.test"))
            let waited = started.duration(to: .now)
            #expect(instances[0].ca.issueCount == 1)
            #expect(waited >= .seconds(1), "the order waited for the dead holder's lease (\(waited))")
            #expect(key.certificateChain[0] == instances[0].ca.issued[0].leafDER)
        }
    }

    @Test("a certificate one instance renews reaches the others from storage, without an order of theirs")
    func renewalReachesOthers() async throws {
        let instances = try Self.cluster(names: ["renewed.cluster.test"])
        defer { for instance in instances { instance.stop() } }
        let ca = instances[0].ca
        try await Self.running(instances) {
            for instance in instances { _ = try await instance.select(Harness.hello("renewed.cluster.test")) }
            #expect(ca.issueCount == 1)
            // Instance 0 replaces the certificate (as a renewal would).
            await instances[0].manager.renew("renewed.cluster.test", plan: Schedule.Plan(due: Date()))
            #expect(ca.issueCount == 2)
            let renewed = ca.issued[1].leafDER
            try await Poll.until("the other instances to serve the renewed certificate") {
                var all = true
                for instance in instances[1...] {
                    let leaf = try await instance.select(Harness.hello("renewed.cluster.test")).certificateChain[0]
                    all = all && leaf == renewed
                }
                return all
            }
            #expect(ca.issueCount == 2, "the others loaded it, they did not order")
        }
    }

    @Test("renewal information: one instance asks the CA per check period, all plan the same renewal")
    func renewalInfoOncePerPeriod() async throws {
        let clock = ManualClock(Date())
        let instances = try Self.cluster(names: ["ari.cluster.test"], clock: clock)
        defer { for instance in instances { instance.stop() } }
        let ca = instances[0].ca
        ca.answerRenewalInfo { issued in
            ACMERenewalInfo(suggestedWindow: .init(start: issued.leaf.notValidAfter.addingTimeInterval(-30 * 86_400),
                                                   end: issued.leaf.notValidAfter.addingTimeInterval(-29 * 86_400)),
                            retryAfter: .seconds(6 * 3600))
        }
        try await Self.running(instances) {
            for instance in instances { _ = try await instance.select(Harness.hello("ari.cluster.test")) }
            #expect(ca.issueCount == 1)
            func plannedRenewals() -> [Date?] {
                instances.map { instance in instance.manager.schedule.withLock { $0.renewalInfo["ari.cluster.test"]?.renewAt } }
            }
            // An instance whose check comes while another holds the renewal-information lock
            // looks again 3 to 7 seconds later on the Manager's clock: let seconds pass.
            try await Poll.until("every instance to follow the renewal window", advancing: clock, by: 1) {
                plannedRenewals().allSatisfy { $0 != nil }
            }
            #expect(ca.renewalInfoRequests == 1, "one request for three instances, not \(ca.renewalInfoRequests)")
            #expect(Set(plannedRenewals()).count == 1, "every instance plans the renewal the asking instance chose: \(plannedRenewals())")
            // Eight check periods of 6 hours; within each, seconds pass as real time would
            // while an instance that found the lock taken looks again.
            for period in 1...8 {
                clock.advance(by: 6 * 3600)
                try await Poll.until("period \(period): the CA asked again", advancing: clock, by: 1) {
                    ca.renewalInfoRequests >= 1 + period
                }
                try await Poll.until("period \(period): every instance to have checked", advancing: clock, by: 1) {
                    instances.allSatisfy { instance in
                        instance.manager.schedule.withLock { ($0.renewalInfo["ari.cluster.test"]?.nextCheck ?? .distantPast) > clock.now.addingTimeInterval(3600) }
                    }
                }
                #expect(ca.renewalInfoRequests == 1 + period, "period \(period): one request, not \(ca.renewalInfoRequests - period)")
            }
            #expect(Set(plannedRenewals()).count == 1)
            #expect(ca.issueCount == 1)
        }
    }

    @Test("renewal information: an instance that finds another asking the CA looks again seconds later and follows its stored answer, without asking")
    func renewalInfoBusyLooksAgain() async throws {
        let clock = ManualClock(Date())
        let storage = MemoryStorage()
        let harness = try Harness(names: ["busy.cluster.test"], storage: storage, clock: clock,
                                  ca: try FakeCA(now: { clock.now }))
        defer { harness.stop() }
        // The CA would answer, so an instance that asked it instead of waiting would be seen.
        harness.ca.answerRenewalInfo { issued in
            ACMERenewalInfo(suggestedWindow: .init(start: issued.leaf.notValidAfter.addingTimeInterval(-30 * 86_400),
                                                   end: issued.leaf.notValidAfter.addingTimeInterval(-29 * 86_400)))
        }
        // Another instance is asking the CA about this name now.
        let other = try #require(try await storage.tryLock(SharedRenewalInfo.lockName(for: "busy.cluster.test"), lease: .seconds(60)))
        try await Self.running([harness]) {
            let leaf = try await harness.select(Harness.hello("busy.cluster.test")).certificateChain[0]
            func state() -> Schedule.RenewalInfo? { harness.manager.schedule.withLock { $0.renewalInfo["busy.cluster.test"] } }
            try await Poll.until("the instance to find the lock taken and plan a second look") {
                (state()?.nextCheck ?? .distantPast) > clock.now
            }
            let wait = try #require(state()?.nextCheck).timeIntervalSince(clock.now)
            #expect(SharedRenewalInfo.busyRecheck.contains(wait), "looks again after \(wait) s")
            #expect(state()?.renewAt == nil, "nothing planned from renewal information yet")
            #expect(harness.ca.renewalInfoRequests == 0)
            // The other instance stores its answer and its chosen instant, and lets go.
            let window = ACMERenewalInfo.Window(start: clock.now.addingTimeInterval(40 * 86_400), end: clock.now.addingTimeInterval(41 * 86_400))
            let chosen = window.start.addingTimeInterval(12_345)
            let shared = SharedRenewalInfo(certificate: try ACMECertificateIdentifier.make(certificateDER: leaf),
                                           windowStart: window.start, windowEnd: window.end,
                                           renewAt: chosen, nextCheck: clock.now.addingTimeInterval(6 * 3600))
            try await storage.put(SharedRenewalInfo.storageName(for: "busy.cluster.test"), Array(try JSONEncoder().encode(shared)))
            try await storage.unlock(other)
            clock.advance(by: wait)
            try await Poll.until("the instance to follow the stored answer") { state()?.renewAt != nil }
            #expect(state()?.renewAt == chosen, "the instant the asking instance chose")
            #expect(state()?.window == window)
            #expect(harness.manager.schedule.withLock { $0.plans["busy.cluster.test"]?.due } == chosen)
            #expect(harness.ca.renewalInfoRequests == 0, "the answer came from storage")
        }
    }

    @Test("the storage sweep deletes shared renewal information and tls-alpn-01 answers nobody uses, and nothing else")
    func sweepDeletesWhatTheClusterLeft() async throws {
        let storage = MemoryStorage()
        let harness = try Harness(names: ["kept.cluster.test"], storage: storage)
        defer { harness.stop() }
        let now = Date()
        let longAgo = now.addingTimeInterval(-30 * 86_400)
        func renewalInfo(nextCheck: Date) throws -> [UInt8] {
            Array(try JSONEncoder().encode(SharedRenewalInfo(certificate: "a.b", windowStart: longAgo, windowEnd: longAgo.addingTimeInterval(86_400),
                                                             renewAt: longAgo, nextCheck: nextCheck)))
        }
        func challenge(_ name: String, issuedAt: Date) throws -> [UInt8] {
            let certificate = try TLSALPNChallengeCertificate(name: name, keyAuthorization: "token.thumbprint", now: issuedAt)
            return Array((certificate.certificatePEM + "\n" + certificate.privateKeyPEM + "\n").utf8)
        }
        try await storage.put(SharedRenewalInfo.storageName(for: "old.cluster.test"), try renewalInfo(nextCheck: longAgo))
        try await storage.put(SharedRenewalInfo.storageName(for: "kept.cluster.test"), try renewalInfo(nextCheck: now.addingTimeInterval(3600)))
        try await storage.put(ChallengeAnswers.storageName(tlsALPN01: "left.cluster.test"), try challenge("left.cluster.test", issuedAt: longAgo))
        try await storage.put(ChallengeAnswers.storageName(tlsALPN01: "live.cluster.test"), try challenge("live.cluster.test", issuedAt: now))
        try await storage.put("renewal-info+not-json", Array("{".utf8))
        try await storage.put("operator-notes.txt", Array("keep me".utf8))

        #expect(await harness.manager.sweepExpiredRecords(now: now) == 2)
        let left = Set(try await storage.list(prefix: ""))
        #expect(left == [SharedRenewalInfo.storageName(for: "kept.cluster.test"), ChallengeAnswers.storageName(tlsALPN01: "live.cluster.test"),
                         "renewal-info+not-json", "operator-notes.txt"])
    }
}
