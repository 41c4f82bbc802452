import AutocertTestSupport
import Foundation
import Testing

/// kill -9 of `autocert-server` at random moments while it obtains certificates and writes
/// certificates and staples, repeated: afterwards every stored file loads, no key is lost,
/// and every name is served. Trials: `AUTOCERT_CRASH_TRIALS` (default 12).
@Suite("autocert-server crash trials", .serialized)
struct CrashSafetyTrialsTests {
    @Test("repeated kill -9 during issuance and stapling never leaves a file that fails to load")
    func repeatedKills() async throws {
        let trials = Int(ProcessInfo.processInfo.environment["AUTOCERT_CRASH_TRIALS"] ?? "") ?? 12
        let ca = try await ServerEndToEndTests.CA.start()
        let storage = try TemporaryDirectory(prefix: "crash-trials")
        defer { storage.remove() }
        let store = storage.file("store")
        let names = (0..<trials).map { "crash-\($0).example.com" }
        let port = ca.pebble.tlsPort
        var generator = SystemRandomNumberGenerator()
        var killedMidway = 0
        do {
            for (trial, name) in names.enumerated() {
                let server = try TestProcess(try ExampleServerAutomaticTests.executable(),
                                             ServerEndToEndTests.serverArguments("openssl", ca: ca, storage: store, domains: names))
                try await Poll.until("autocert-server to listen (trial \(trial))", timeout: .seconds(20)) { FreePort.isAccepting(port) }
                let client = Task { try? await ServerEndToEndTests.handshake(port, name) }
                // Somewhere in key generation, ordering, writing the record, fetching and writing the staple.
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...3_000, using: &generator)))
                if !server.outputText.contains("fetched") { killedMidway += 1 }
                kill(server.pid, SIGKILL)
                _ = try? await server.waitForExit(timeout: .seconds(10))
                _ = await client.value
            }
            // Every name, one more time, from what the crashes left.
            let server = try TestProcess(try ExampleServerAutomaticTests.executable(),
                                         ServerEndToEndTests.serverArguments("openssl", ca: ca, storage: store, domains: names))
            try await Poll.until("autocert-server to listen after the trials", timeout: .seconds(20)) { FreePort.isAccepting(port) }
            for name in names {
                let transcript = try await ServerEndToEndTests.handshake(port, name)
                #expect(transcript.contains("CN = \(name)"), "\(name): \(transcript)\n--- server:\n\(server.outputText)")
            }
            #expect(!server.outputText.lowercased().contains("invalid stored record"), "\(server.outputText)")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: store).filter { $0.contains(".tmp") || $0.hasSuffix("+key") }
            #expect(leftovers.isEmpty, "temporary files or pending keys left once every name is served: \(leftovers)")
            print("crash trials: \(trials) kills (\(killedMidway) before the first staple was fetched), every stored file loaded")
            await server.stop()
        } catch {
            await ca.stop()
            throw error
        }
        await ca.stop()
    }
}
