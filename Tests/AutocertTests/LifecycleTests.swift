@testable import Autocert
import AutocertStapling
import AutocertTestSupport
import AutocertTLS
import Foundation
import Logging
import ServiceLifecycle
import Testing

@Suite("Manager: service lifecycle")
struct LifecycleTests {
    @Test("as a Service in a ServiceGroup it stops on graceful shutdown, stapler included, and its events end")
    func gracefulShutdown() async throws {
        let harness = try Harness()
        defer { harness.stop() }
        let group = ServiceGroup(services: [harness.manager], logger: Logger(label: "test.group") { _ in harness.logs.handler })
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let key = try await harness.select(Harness.hello("example.test"))
            #expect(key.ocspStaple != nil, "the stapler runs inside the Manager's run()")
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
        try await Poll.until("the event stream to end") { harness.eventsFinished }
    }

    @Test("with must-staple, a certificate left without a staple is replaced")
    func mustStapleExpiredIsReplaced() async throws {
        let harness = try Harness(mustStaple: true)
        defer { harness.stop() }
        try await harness.running {
            let first = try await harness.select(Harness.hello("example.test"))
            let id = try #require(harness.manager.served.withLock { $0["example.test"]?.stapleID })
            await harness.manager.handle(.expired(id, at: Date()))
            try await Poll.until("the replacement") {
                harness.ca.issueCount == 2 && harness.manager.cachedKey(for: "example.test")?.certificateChain[0] != first.certificateChain[0]
            }
        }
    }

    @Test("without must-staple an expired staple changes nothing")
    func expiredStapleWithoutMustStaple() async throws {
        let harness = try Harness()
        defer { harness.stop() }
        try await harness.running {
            _ = try await harness.select(Harness.hello("example.test"))
            let id = try #require(harness.manager.served.withLock { $0["example.test"]?.stapleID })
            await harness.manager.handle(.expired(id, at: Date()))
            #expect(harness.manager.schedule.withLock { $0.plans["example.test"]!.due } > Date().addingTimeInterval(86_400))
        }
        #expect(harness.ca.issueCount == 1)
    }
}
