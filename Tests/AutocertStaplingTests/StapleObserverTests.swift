@testable import AutocertStapling
import AutocertTestSupport
import Foundation
import Testing

/// The staple observers (for a layer that keeps the staple next to its certificate).
@Suite struct StapleObserverTests {
    let day: TimeInterval = 86_400

    @Test func observersHearEveryChangeAndCurrentStapleTellsItsEnd() async throws {
        let fixture = try StaplingManagerScheduleTests.Fixture()
        let transport = fixture.responder(validity: 4 * day)
        let harness = Harness(clock: fixture.clock, transport: transport)
        let heard = Locked<[StapleID]>([])
        harness.manager.addStapleObserver { id in heard.withLock { $0.append(id) } }
        let id = await harness.manager.add(fixture.subject)
        #expect(harness.manager.currentStaple(for: id) == nil)
        harness.start()
        defer { harness.cancel() }

        let staple = try #require(await harness.manager.firstStaple(for: id))
        try await Poll.until("the observer told of the first staple") { heard.withLock { $0 } == [id] }
        let current = try #require(harness.manager.currentStaple(for: id))
        #expect(current.der == staple)
        #expect(current.until == fixture.clock.now.addingTimeInterval(4 * day))

        // Refreshes fail from now on: the staple ends at its nextUpdate, and observers hear it.
        transport.setScript { request in .init(status: 503, headers: [], body: [], url: request.url) }
        try await harness.advance(4 * day)
        #expect(harness.manager.currentStaple(for: id) == nil)
        try await Poll.until("the observer told of the expiry") { heard.withLock { $0.count } == 2 }

        await harness.manager.remove(id)
        #expect(heard.withLock { $0 } == [id, id, id], "told of the removal too")
    }
}
