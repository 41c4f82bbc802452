@testable import AutocertStapling
import AutocertTestSupport
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// The manager as a swift-service-lifecycle service: graceful shutdown ends run() and the event streams.
@Suite("Stapler as a swift-service-lifecycle service")
struct ServiceLifecycleTests {
    @Test("graceful shutdown of the ServiceGroup ends run() and finishes the event streams")
    func gracefulShutdownEndsRunAndTheEventStreams() async throws {
        let fixture = try StaplingManagerScheduleTests.Fixture()
        let harness = Harness(clock: fixture.clock, transport: fixture.responder())
        let id = await harness.manager.add(fixture.subject)
        var logger = Logger(label: "stapling-lifecycle")
        logger.logLevel = .critical
        let group = ServiceGroup(configuration: .init(services: [harness.manager], logger: logger))
        // Subscribe before the group runs: the fetch may finish as soon as run() starts.
        let extra = harness.manager.subscribe()
        let running = Task { try await group.run() }
        let drained = Task { () -> Int in
            var count = 0
            for await _ in extra { count += 1 }
            return count
        }
        #expect(await harness.manager.firstStaple(for: id) != nil)
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(await drained.value >= 1, "the stream finished after delivering the fetched event")
    }
}
