@testable import AutocertStapling
import AutocertTestSupport
import Foundation
import Testing

/// Every change of a served staple is an event any subscriber hears (rewritten from the
/// staple-observer tests when observers gave way to the one multi-subscriber event API).
@Suite("Stapler: every change of a served staple is an event")
struct StapleChangeEventTests {
    let day: TimeInterval = 86_400

    @Test("a subscriber hears the first staple, its expiry and the removal; currentStaple tells its end")
    func subscribersHearEveryChangeAndCurrentStapleTellsItsEnd() async throws {
        let fixture = try StaplingManagerScheduleTests.Fixture()
        let transport = fixture.responder(validity: 4 * day)
        let harness = Harness(clock: fixture.clock, transport: transport)
        let heard = Locked<[String]>([])
        let stream = harness.manager.subscribe()
        let listener = Task {
            for await event in stream {
                switch event {
                case .fetched(let id, _, _, _, _): heard.withLock { $0.append("fetched \(id)") }
                case .expired(let id, _): heard.withLock { $0.append("expired \(id)") }
                case .removed(let id): heard.withLock { $0.append("removed \(id)") }
                default: break
                }
            }
        }
        defer { listener.cancel() }
        let id = await harness.manager.add(fixture.subject)
        #expect(harness.manager.currentStaple(for: id) == nil)
        harness.start()
        defer { harness.cancel() }

        let staple = try #require(await harness.manager.firstStaple(for: id))
        try await Poll.until("the subscriber told of the first staple") { heard.withLock { $0 } == ["fetched \(id)"] }
        let current = try #require(harness.manager.currentStaple(for: id))
        #expect(current.der == staple)
        #expect(current.until == fixture.clock.now.addingTimeInterval(4 * day))

        // Refreshes fail from now on: the staple ends at its nextUpdate, and subscribers hear it.
        transport.setScript { request in .init(status: 503, headers: [], body: [], url: request.url) }
        try await harness.advance(4 * day)
        #expect(harness.manager.currentStaple(for: id) == nil)
        try await Poll.until("the subscriber told of the expiry") { heard.withLock { $0.count } == 2 }

        await harness.manager.remove(id)
        try await Poll.until("the subscriber told of the removal") {
            heard.withLock { $0 } == ["fetched \(id)", "expired \(id)", "removed \(id)"]
        }
    }
}
