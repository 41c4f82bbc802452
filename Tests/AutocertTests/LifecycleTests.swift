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

    @Test("an order a handshake started is a child of run(): graceful shutdown cancels it and the handshake fails")
    func handshakeOrderEndsWithTheService() async throws {
        let harness = try Harness()
        defer { harness.stop() }
        harness.ca.hold()
        let group = ServiceGroup(services: [harness.manager], logger: Logger(label: "test.group") { _ in harness.logs.handler })
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await Poll.until("the Manager to run") { harness.manager.handshakeWork.isRunning }
            let outcome = Locked<Result<CertifiedKey, any Error>?>(nil)
            harness.manager.certifiedKey(for: Harness.hello("example.test"), on: harness.loop).whenComplete { result in
                outcome.withLock { $0 = result }
            }
            try await Poll.until("the order to wait at the CA") { harness.ca.gate.waiting == 1 }
            await group.triggerGracefulShutdown()
            try await tasks.next()
            try await Poll.until("the handshake to end with the service") { outcome.withLock { $0 } != nil }
            guard case .failure = outcome.withLock({ $0 }) else {
                Issue.record("the handshake got a certificate from an order cancelled by shutdown")
                return
            }
        }
        #expect(harness.ca.issued.isEmpty, "the cancelled order issued nothing")
        #expect(harness.manager.cachedKey(for: "example.test") == nil)
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
