import AutocertHTTP
import AutocertTestSupport
import Dispatch
import Foundation
import Logging
import Testing
@testable import AutocertACME

/// The nonce a request fetched from `newNonce` (RFC 8555 §7.2) is that request's own, even
/// when another request runs between the HEAD's answer and the nonce's use.
@Suite("ACMEClient: a fetched nonce under concurrency")
struct NonceRaceTests {
    /// A log handler that runs `hook` (synchronously, on the logging thread) at the first
    /// "ACME exchange" trace line of a HEAD: the moment the client has read a `newNonce`
    /// answer and not yet used its nonce.
    struct HeadHook: LogHandler {
        let hook: @Sendable () -> Void
        let fired = Locked(false)
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            guard event.message == "ACME exchange", event.metadata?["method"] == "HEAD" else { return }
            if fired.withLock({ fired in defer { fired = true }; return !fired }) { hook() }
        }
    }

    @Test("a request between the newNonce answer and its use cannot take that nonce: each request signs with its own")
    func aFetchedNonceGoesToTheRequestThatAskedForIt() async throws {
        let posted = DispatchSemaphore(value: 0)
        let (released, release) = AsyncStream<Void>.makeStream()
        let posts = Locked(0)
        /// Whether A's hook saw B's POST arrive; nil while A is held in its hook.
        let held = Locked<Bool?>(nil)
        // B's POST is held in flight (its answer, and the nonce that comes with it, not yet
        // back) until A has finished: the pool then holds no nonce but the one A's HEAD brought.
        // Only a POST made while A is held in its hook is B's: if B were so late that A's hook
        // gave up, A's own POST must not be held (it would wait for itself).
        let transport = FakeTransport.ca(hold: { request, _ in
            guard request.method == .post, held.withLock({ $0 == nil }),
                  posts.withLock({ posts in defer { posts += 1 }; return posts == 0 }) else { return }
            posted.signal()
            for await _ in released {}
        }) { _, _ in
            FakeTransport.json(200, "{\"status\":\"valid\"}", headers: [HTTPHeader(name: "Location", value: "https://ca.test/acct/1")])
        }
        let (start, starter) = AsyncStream<Void>.makeStream()
        // A is held right after its HEAD answer was read, until B's POST reaches the CA.
        let hook = HeadHook(hook: {
            starter.yield()
            starter.finish()
            let arrived = posted.wait(timeout: .now() + .seconds(10)) == .success
            held.withLock { $0 = arrived }
        })
        var logger = Logger(label: "test") { _ in hook }
        logger.logLevel = .trace
        let client = ACMEClient(directoryURL: "https://ca.test/dir", transport: transport, logger: logger)
        _ = try await client.directory()

        let b = Task {
            for await _ in start { break }
            return try await client.findAccount(key: .generateP256())
        }
        // A's thread is blocked by the hook: it must not be one of the shared pool's.
        let executor = ThreadExecutor()
        defer { executor.stop() }
        let a = Task(executorPreference: executor) { try await client.findAccount(key: .generateP256()) }
        let aResult = await a.result
        release.finish()
        let bResult = await b.result

        #expect(held.withLock { $0 } == true, "B's POST reached the CA while A was held")
        #expect(throws: Never.self, "A's request") { _ = try aResult.get() }
        #expect(throws: Never.self, "B's request") { _ = try bResult.get() }
        let requests = transport.requests
        #expect(requests.map(\.method) == [.get, .head, .head, .post, .post], "\(requests.map { "\($0.method) \($0.url)" })")
        // Requests 1 and 2 are A's and B's HEADs (nonce-1, nonce-2); B posted first (3), A last (4).
        let nonces = try requests.filter { $0.method == .post }.map(FakeTransport.nonce(of:))
        #expect(nonces == ["nonce-2", "nonce-1"], "B signed with its own nonce, A with the one its HEAD fetched")
    }
}
