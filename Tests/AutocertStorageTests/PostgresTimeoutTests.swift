@testable import AutocertPostgres
import AutocertTestSupport
import Foundation
import Testing

/// The bound on every PostgresStorage operation, even over work that ignores cancellation (as a
/// PostgresNIO query written to a connection torn down under it can).
@Suite("PostgresStorage timeouts")
struct PostgresTimeoutTests {
    @Test("withTimeout throws TimedOut at its timeout without waiting for work that ignores cancellation")
    func timeoutDoesNotWaitForTheWork() async throws {
        let release = Locked(false)
        let started = ContinuousClock.now
        do {
            _ = try await PostgresStorage.withTimeout(.milliseconds(200)) {
                // Deaf to cancellation until the test lets it go.
                while !release.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(10)) }
                return 1
            }
            Issue.record("withTimeout returned before its work ended")
        } catch {
            #expect(error is PostgresStorage.TimedOut, "\(error)")
        }
        #expect(ContinuousClock.now - started < .seconds(2))
        release.withLock { $0 = true }
    }

    @Test("withTimeout returns the work's value or error when it ends first, and throws CancellationError when its caller is cancelled")
    func outcomes() async throws {
        #expect(try await PostgresStorage.withTimeout(.seconds(5)) { 7 } == 7)
        await #expect(throws: CancellationError.self) {
            _ = try await PostgresStorage.withTimeout(.seconds(5)) { throw CancellationError() }
        }
        let task = Task {
            try await PostgresStorage.withTimeout(.seconds(30)) {
                try await Task.sleep(for: .seconds(30))
                return 1
            }
        }
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
    }
}
