@testable import Autocert
import AutocertTestSupport
import AutocertTLS
import Synchronization
import Testing

@Suite("Single flight")
struct SingleFlightTests {
    @Test("concurrent callers for one key share one run; other keys run on their own")
    func sharesOneRun() async throws {
        let flight = SingleFlight<String, Int>()
        let runs = Locked(0)
        let gate = Gate()
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await flight.run("a") {
                        runs.withLock { $0 += 1 }
                        await gate.wait()
                        return 42
                    }
                }
            }
            try await Poll.until("19 waiters on the flight") { flight.waiterCount("a") == 19 }
            #expect(try await flight.run("b") { 7 } == 7)
            gate.open()
            for try await value in group { #expect(value == 42) }
        }
        #expect(runs.withLock { $0 } == 1)
        #expect(!flight.isRunning("a"))
    }

    @Test("waiters get the leader's error, and the key is free again afterwards")
    func sharesFailure() async throws {
        let flight = SingleFlight<String, Int>()
        await #expect(throws: FakeCAError.self) { try await flight.run("a") { throw FakeCAError(reason: "no") } }
        #expect(try await flight.run("a") { 1 } == 1)
    }

    @Test("50 concurrent handshakes for a new name make exactly one issuance and get the same certificate")
    func fiftyHandshakesOneOrder() async throws {
        let harness = try Harness(names: ["example.test"], stapleOCSP: false)
        defer { harness.stop() }
        harness.ca.hold()
        let identities = try await withThrowingTaskGroup(of: UInt64.self) { group in
            for _ in 0..<50 {
                group.addTask { try await harness.select(Harness.hello("example.test")).identity }
            }
            try await Poll.until("49 handshakes waiting on the one order") {
                harness.manager.flights.waiterCount("example.test") == 49 && harness.ca.gate.waiting == 1
            }
            harness.ca.gate.open()
            var identities: Set<UInt64> = []
            for try await identity in group { identities.insert(identity) }
            return identities
        }
        #expect(harness.ca.issueCount == 1)
        #expect(identities.count == 1)
    }
}
