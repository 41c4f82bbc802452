import AutocertTestSupport
import Foundation
import Testing

/// A cluster end to end: three `autocert-server` processes on 127.0.0.1/.2/.3 sharing a real
/// PostgreSQL, against real Pebble (its DNS pointing each name at an instance other than the
/// one whose handshake starts the order) and a real `openssl ocsp` responder.
@Suite("Cluster end to end: three autocert-server processes on PostgreSQL, Pebble and an OCSP responder", .serialized)
struct ClusterEndToEndTests {
    @Test("20 names, handshakes to every instance in random order: 20 orders, 20 OCSP fetches, every instance serves every name with a good staple")
    func twentyNames() async throws {
        let names = (1...20).map { "site\($0).cluster-e2e.test" }
        let rig = try await ClusterRig(names: names)
        do {
            try await rig.startAll()
            // Name k is validated at the instance after the one its first handshake reaches.
            for (k, name) in names.enumerated() {
                try await rig.pebble.resolve(name, to: [ClusterRig.addresses[(k + 1) % 3]])
            }
            // Every (name, instance) pair, in random order, at most 12 at a time.
            var pairs = names.indices.flatMap { k in (0..<3).map { (k, ($0 + k) % 3) } }
            pairs.shuffle()
            let first = Dictionary(uniqueKeysWithValues: names.indices.map { k in (k, pairs.first { $0.0 == k }!.1) })
            try await withThrowingTaskGroup(of: Void.self) { group in
                var running = 0
                for (k, instance) in pairs {
                    if running == 12 { try await group.next(); running -= 1 }
                    group.addTask { _ = try await rig.handshake(names[k], instance: instance, timeout: .seconds(120)) }
                    running += 1
                }
                try await group.waitForAll()
            }
            let validatedElsewhere = names.indices.filter { first[$0]! != ($0 + 1) % 3 }.count
            #expect(validatedElsewhere > 0, "some names were validated at an instance other than the first asked")

            #expect(rig.ordersCreated == 20, "one order per name across three instances, not \(rig.ordersCreated)")
            #expect(rig.count("ACME certificate issued") == 20)
            // Every instance serves every name, stapled and verified (new handshakes).
            for name in names {
                for instance in 0..<3 {
                    try await Poll.until("\(name) at \(ClusterRig.addresses[instance]) with a good staple", timeout: .seconds(30), interval: .milliseconds(200)) {
                        ClusterRig.isStapledAndVerified(try await rig.handshake(name, instance: instance))
                    }
                }
            }
            for instance in 0..<3 {
                let verified = try await rig.verifiedStaple(names[instance], instance: instance)
                #expect(verified?.contains("good") == true, "the staple of \(names[instance]) at \(ClusterRig.addresses[instance]) verifies: \(verified ?? "no")")
            }
            let failures = rig.outputs.flatMap { $0.split(separator: "\n") }.filter { $0.contains("OCSP fetch failed") || $0.contains("status unknown") }
            #expect(rig.responder.requestCount == 20,
                    "one OCSP fetch per certificate between three instances, not \(rig.responder.requestCount); failures logged: \(failures)")
            #expect(rig.count("stapling: fetched") == 20, "\(rig.count("stapling: fetched")) fetches logged")
            let stored = try await rig.storedNames()
            #expect(names.allSatisfy { stored.contains($0) }, "every certificate in PostgreSQL: \(stored)")
        } catch {
            print(rig.outputs.map { String($0.suffix(4000)) }.joined(separator: "\n----\n"))
            await rig.stop()
            throw error
        }
        await rig.stop()
    }

    @Test("kill -9 of the instance holding a name's order lock in the middle of its order: another instance issues the name, once")
    func lockHolderKilledMidOrder() async throws {
        // Pebble waits 0 to 2 s before each validation, which leaves the order open a while.
        let candidates = (1...4).map { "killed\($0).cluster-e2e.test" }
        let rig = try await ClusterRig(names: candidates, pebbleEnvironment: ["PEBBLE_VA_NOSLEEP": "0", "PEBBLE_VA_SLEEPTIME": "3"],
                                       arguments: ["--order-lock-lease", "5"])
        do {
            try await rig.startAll()
            var scenario: String?
            for name in candidates where scenario == nil {
                try await rig.pebble.resolve(name, to: [ClusterRig.addresses[1]])
                // The order starts at instance 0; instances 1 and 2 are asked while it runs.
                let holder = Task { try? await rig.handshake(name, instance: 0) }
                try await Poll.until("instance 0 to answer its challenge for \(name)", timeout: .seconds(30), interval: .milliseconds(5)) {
                    rig.count("ACME challenge answered") > 0 && rig.count("ACME order created", name: name) == 1
                }
                let lockHolder = try await rig.postgres.superuser(
                    "SELECT holder FROM autocert_locks WHERE name LIKE 'order-lock+%\(name)%' AND expires_at > now()", database: rig.postgres.database)
                let waiters = (1...2).map { instance in
                    Task { () -> Bool in
                        let deadline = ContinuousClock.now.advanced(by: .seconds(90))
                        while ContinuousClock.now < deadline {
                            if let transcript = try? await rig.handshake(name, instance: instance), ClusterRig.isStapledAndVerified(transcript) { return true }
                            try? await Task.sleep(for: .milliseconds(250))
                        }
                        return false
                    }
                }
                let holderPID = rig.process(0)?.pid ?? -1
                await rig.kill9(0)
                _ = await holder.value
                let storedAtKill = try await rig.storedNames()
                let issuedBeforeKill = rig.count("ACME certificate issued", name: name)
                guard !storedAtKill.contains(name), issuedBeforeKill == 0 else {
                    // The order finished before the kill: not the case under test; next name.
                    for waiter in waiters { _ = await waiter.value }
                    try await rig.start(0)
                    continue
                }
                #expect(lockHolder.hasSuffix("pid \(holderPID)"), "instance 0 (pid \(holderPID)) held the order lock: \(lockHolder)")
                for waiter in waiters { #expect(await waiter.value, "instances 1 and 2 serve \(name) once the dead holder's lease ended") }
                #expect(rig.count("ACME certificate issued", name: name) == 1, "the name was issued once, by another instance")
                scenario = name
            }
            #expect(scenario != nil, "one of \(candidates.count) orders was still open when its instance was killed")
        } catch {
            print(rig.outputs.map { String($0.suffix(4000)) }.joined(separator: "\n----\n"))
            await rig.stop()
            throw error
        }
        await rig.stop()
    }

    @Test("PostgreSQL stopped for 30 s under load: no handshake fails for a name already served, and nothing is lost when it returns")
    func databaseOutageUnderLoad() async throws {
        let names = (1...3).map { "outage\($0).cluster-e2e.test" }
        let late = "late.cluster-e2e.test"
        let rig = try await ClusterRig(names: names + [late])
        do {
            try await rig.startAll()
            for (k, name) in names.enumerated() {
                try await rig.pebble.resolve(name, to: [ClusterRig.addresses[(k + 1) % 3]])
                for instance in 0..<3 {
                    try await Poll.until("\(name) at \(ClusterRig.addresses[instance])", timeout: .seconds(60), interval: .milliseconds(200)) {
                        ClusterRig.isStapledAndVerified(try await rig.handshake(name, instance: instance))
                    }
                }
            }
            let storedBefore = try await rig.storedNames()

            await rig.postgres.shutDown()
            let outageEnds = ContinuousClock.now.advanced(by: .seconds(30))
            var handshakes = 0
            var failures: [String] = []
            while ContinuousClock.now < outageEnds {
                for name in names {
                    for instance in 0..<3 {
                        let transcript = try await rig.handshake(name, instance: instance, timeout: .seconds(20))
                        handshakes += 1
                        if !ClusterRig.isStapledAndVerified(transcript) { failures.append("\(name)@\(instance): \(transcript.suffix(600))") }
                    }
                }
            }
            // A name never served needs the database (its order lock): it is refused, not served half-way.
            let refused = try await rig.handshake(late, instance: 0, timeout: .seconds(60))
            #expect(!ClusterRig.isStapledAndVerified(refused))
            try await rig.postgres.start()

            #expect(failures.isEmpty, "\(failures.count) of \(handshakes) handshakes failed during the outage:\n\(failures.prefix(3).joined(separator: "\n"))")
            #expect(handshakes >= 30, "the load ran throughout the outage: \(handshakes) handshakes")
            #expect(rig.count("lost the connection to PostgreSQL") == 3, "each instance reported the outage once")
            try await Poll.until("every instance to report PostgreSQL back", timeout: .seconds(30), interval: .milliseconds(200)) {
                rig.count("PostgreSQL is reachable again") == 3
            }
            // Nothing lost: everything stored before is still there, and the instances work on.
            let storedAfter = try await rig.storedNames()
            #expect(Set(storedBefore).isSubset(of: Set(storedAfter)), "before: \(storedBefore)\nafter: \(storedAfter)")
            try await rig.pebble.resolve(late, to: [ClusterRig.addresses[2]])
            for instance in 0..<3 {
                try await Poll.until("\(late) at \(ClusterRig.addresses[instance]) after PostgreSQL returned", timeout: .seconds(90), interval: .milliseconds(500)) {
                    ClusterRig.isStapledAndVerified(try await rig.handshake(late, instance: instance))
                }
            }
            #expect(rig.count("ACME certificate issued", name: late) == 1)
            #expect(try await rig.storedNames().contains(late))
        } catch {
            print(rig.outputs.map { String($0.suffix(4000)) }.joined(separator: "\n----\n"))
            await rig.stop()
            throw error
        }
        await rig.stop()
    }
}
