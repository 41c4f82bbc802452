import AutocertTestSupport
import AutocertTLS
import Synchronization
import Testing

/// A certificate that takes time to obtain does not hold up the event loop (docs/architecture.md, the TLS seam).
@Suite("TLS backends: a slow certificate selection does not hold up the event loop", .serialized)
struct AsyncSelectionTests {
    /// Holds the selector for `slow.test` until the test opens it.
    final class Gate: Sendable {
        private let state = Mutex<(waiting: Int, open: Bool, continuations: [CheckedContinuation<Void, Never>])>((0, false, []))

        var waiting: Int { state.withLock { $0.waiting } }

        func pass() async {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    state.waiting += 1
                    if state.open { return true }
                    state.continuations.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }

        func open() {
            let continuations = state.withLock { state in
                state.open = true
                defer { state.continuations = [] }
                return state.continuations
            }
            for continuation in continuations { continuation.resume() }
        }
    }

    @Test("a slow selection completes while other handshakes on the same event loop go on", arguments: BackendKind.allCases)
    func slowSelection(_ backend: BackendKind) async throws {
        let pki = try await TLSTestPKI.create()
        defer { pki.directory.remove() }
        let fast = try await pki.issue("fast.test", staple: true)
        let slow = try await pki.issue("slow.test", staple: true)
        let gate = Gate()
        let selector = AsyncCertificateSelector { hello in
            if hello.serverName == "slow.test" {
                await gate.pass()
                return slow.key
            }
            return fast.key
        }
        let server = try await TestTLSServer.start(try backend.make(), selector: selector, logger: LogCapture().logger(), threads: 1)
        let slowClient = try ClientProcess("openssl", [
            "s_client", "-connect", "127.0.0.1:\(server.port)", "-servername", "slow.test", "-status",
            "-CAfile", pki.caPath, "-verify_return_error", "-tlsextdebug",
        ], stdin: "\n")
        do {
            try await exercise(server: server, slowClient: slowClient, gate: gate, pki: pki)
        } catch {
            gate.open()
            slowClient.stop()
            await server.stop()
            throw error
        }
        await server.stop()
    }

    private func exercise(server: TestTLSServer, slowClient: ClientProcess, gate: Gate, pki: TLSTestPKI) async throws {
        try await Poll.until("the selector to be asked for slow.test") { gate.waiting == 1 }
        for _ in 0..<5 {
            let hello = OpenSSLTranscript(try await TLSClients.openssl(
                port: server.port, serverName: "fast.test", caPath: pki.caPath, ["-status"]))
            #expect(hello.verified && hello.subjectCN == "fast.test" && hello.stapled, "\(hello.text)")
        }
        #expect(slowClient.isRunning, "the slow handshake finished before its certificate existed")
        gate.open()
        let slowHello = OpenSSLTranscript(try await slowClient.finish())
        #expect(slowHello.verified && slowHello.subjectCN == "slow.test" && slowHello.stapled, "\(slowHello.text)")
    }
}
