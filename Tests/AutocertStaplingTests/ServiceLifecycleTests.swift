@testable import AutocertStapling
import AutocertTestSupport
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// The manager as a swift-service-lifecycle service: graceful shutdown ends run() and the event streams.
@Suite struct ServiceLifecycleTests {
    // Hung once in a full serial run (the test process spinning at ~90 % CPU, never
    // returning); not reproduced alone in 8 runs. Disabled until understood; the Manager's
    // LifecycleTests cover graceful shutdown of the stapler inside a ServiceGroup.
    @Test(.disabled("hung once in a full run; under investigation"))
    func gracefulShutdownEndsRunAndTheEventStreams() async throws {
        let fixture = try StaplingManagerScheduleTests.Fixture()
        let harness = Harness(clock: fixture.clock, transport: fixture.responder())
        let id = await harness.manager.add(fixture.subject)
        var logger = Logger(label: "stapling-lifecycle")
        logger.logLevel = .critical
        let group = ServiceGroup(configuration: .init(services: [harness.manager], logger: logger))
        let running = Task { try await group.run() }
        let extra = harness.manager.makeEventStream()
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
