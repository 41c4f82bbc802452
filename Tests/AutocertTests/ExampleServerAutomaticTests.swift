import AutocertTestSupport
import Foundation
import NIOPosix
import Testing

/// `autocert-server` in automatic mode (--domain) against Pebble, run as a user would run it.
@Suite("autocert-server automatic mode", .serialized)
struct ExampleServerAutomaticTests {
    /// The built executable, beside the test bundle in the build folder.
    static func executable() throws -> String {
        try BuiltProduct.path("autocert-server")
    }

    @Test("the first handshake for --domain obtains a certificate from the --directory CA, which a restart serves from --storage",
          arguments: ["openssl", "gnutls"])
    func obtainsAndServes(_ backend: String) async throws {
        let pebble = try await PebbleHarness()
        let storage = try TemporaryDirectory(prefix: "autocert-server-storage")
        defer { storage.remove() }
        let name = "server-e2e.example.com"
        let arguments = [
            "--backend", backend, "--threads", "1", "--https-port", "\(pebble.tlsPort)", "--http-port", "\(pebble.httpPort)",
            "--domain", name, "--directory", pebble.directoryURL, "--ca-roots", pebble.httpsRootPEMFile,
            "--email", "ops@example.com", "--accept-tos", "--storage", storage.file("store"), "--log-level", "debug",
        ]
        var server = try TestProcess(try Self.executable(), arguments)
        do {
            try await Poll.until("autocert-server to listen", timeout: .seconds(20)) { FreePort.isAccepting(pebble.tlsPort) }
            let first = try await Self.handshake(port: pebble.tlsPort, name: name)
            #expect(first.contains("Pebble Intermediate"), "\(first)\n--- server:\n\(server.outputText)")
            await server.stop()
            #expect(FileManager.default.fileExists(atPath: storage.file("store/\(name)")))

            server = try TestProcess(try Self.executable(), arguments)
            try await Poll.until("autocert-server to listen again", timeout: .seconds(20)) { FreePort.isAccepting(pebble.tlsPort) }
            let second = try await Self.handshake(port: pebble.tlsPort, name: name)
            #expect(second.contains("Pebble Intermediate"), "\(second)")
            #expect(server.outputText.contains("certificate loaded from storage"), "\(server.outputText)")
            #expect(!server.outputText.contains("certificate issued"), "\(server.outputText)")
        } catch {
            print("server output:\n\(server.outputText)\npebble output (tail):\n\(pebble.pebbleOutput.suffix(2000))")
            await server.stop()
            await pebble.stop()
            throw error
        }
        await server.stop()
        await pebble.stop()
    }

    /// `openssl s_client` to `port` for `name`; its transcript.
    @Test("--profile is checked against the CA's directory at start: a CA without it stops the server with the offered ones named")
    func unknownProfileStopsTheServer() async throws {
        let pebble = try await PebbleHarness()
        let storage = try TemporaryDirectory(prefix: "autocert-server-profile")
        defer { storage.remove() }
        let (status, output) = try await TestProcess.run(try Self.executable(), [
            "--threads", "1", "--https-port", "\(pebble.tlsPort)", "--http-port", "0", "--domain", "profile.example.com",
            "--directory", pebble.directoryURL, "--ca-roots", pebble.httpsRootPEMFile, "--accept-tos",
            "--storage", storage.file("store"), "--profile", "shortlived",
        ])
        await pebble.stop()
        #expect(status != 0, "\(output)")
        #expect(output.contains("no certificate profile \"shortlived\"") && output.contains("offers no profiles"), "\(output)")
        #expect(!output.contains("listening"), "\(output)")
    }

    static func handshake(port: Int, name: String) async throws -> String {
        let (_, output) = try await TestProcess.run(
            "openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-servername", name, "-showcerts"], stdin: "", timeout: .seconds(60))
        return output
    }

    @Test("kill -9 while a certificate is being obtained leaves only loadable files, and the restart finishes the job")
    func killDuringIssuance() async throws {
        let pebble = try await PebbleHarness()
        let storage = try TemporaryDirectory(prefix: "autocert-server-crash")
        defer { storage.remove() }
        let name = "crash-e2e.example.com"
        let store = storage.file("store")
        let arguments = [
            "--threads", "1", "--https-port", "\(pebble.tlsPort)", "--http-port", "0",
            "--domain", name, "--directory", pebble.directoryURL, "--ca-roots", pebble.httpsRootPEMFile,
            "--accept-tos", "--storage", store, "--no-staple-ocsp",
        ]
        var server = try TestProcess(try Self.executable(), arguments)
        do {
            try await Poll.until("autocert-server to listen", timeout: .seconds(20)) { FreePort.isAccepting(pebble.tlsPort) }
            let client = Task { try await Self.handshake(port: pebble.tlsPort, name: name) }
            try await Poll.until("the pending key to be written", timeout: .seconds(30), interval: .milliseconds(1)) {
                FileManager.default.fileExists(atPath: "\(store)/\(name)+key") || FileManager.default.fileExists(atPath: "\(store)/\(name)")
            }
            kill(server.pid, SIGKILL)
            _ = try? await server.waitForExit(timeout: .seconds(10))
            _ = try? await client.value
            let pendingKey = try? String(contentsOfFile: "\(store)/\(name)+key", encoding: .utf8)
            let recordExisted = FileManager.default.fileExists(atPath: "\(store)/\(name)")
            print("killed with a pending key: \(pendingKey != nil), with a record: \(recordExisted)")
            // Every file (the .locks directory of the order locks holds lock files, no data).
            for file in try FileManager.default.contentsOfDirectory(atPath: store) where file != ".locks" {
                let text = try String(contentsOfFile: "\(store)/\(file)", encoding: .utf8)
                #expect(!file.hasSuffix(".tmp") || file.hasPrefix("."), "a temporary file left visible: \(file)")
                if !file.hasPrefix(".") { #expect(text.contains("-----END"), "\(file) is torn: \(text)") }
            }

            server = try TestProcess(try Self.executable(), arguments)
            try await Poll.until("autocert-server to listen again", timeout: .seconds(20)) { FreePort.isAccepting(pebble.tlsPort) }
            let answer = try await Self.handshake(port: pebble.tlsPort, name: name)
            #expect(answer.contains("Pebble Intermediate"), "\(answer)\n--- server:\n\(server.outputText)")
            #expect(!server.outputText.contains("invalid"), "\(server.outputText)")
            if let pendingKey, !recordExisted {
                let record = try String(contentsOfFile: "\(store)/\(name)", encoding: .utf8)
                #expect(record.hasPrefix(pendingKey.trimmingCharacters(in: .whitespacesAndNewlines)), "the order after the crash used the key written before it")
            }
        } catch {
            print("server output:\n\(server.outputText)")
            await server.stop()
            await pebble.stop()
            throw error
        }
        await server.stop()
        await pebble.stop()
    }

    @Test("the plain-HTTP port counts in --max-connections, closes connections without a head after --header-timeout, and redirects")
    func plainHTTPPortIsLimited() async throws {
        let pebble = try await PebbleHarness()
        let storage = try TemporaryDirectory(prefix: "autocert-server-plain")
        defer { storage.remove() }
        let name = "plain-limits.example.com"
        let server = try TestProcess(try Self.executable(), [
            "--threads", "1", "--https-port", "\(pebble.tlsPort)", "--http-port", "\(pebble.httpPort)",
            "--domain", name, "--directory", pebble.directoryURL, "--ca-roots", pebble.httpsRootPEMFile,
            "--accept-tos", "--storage", storage.file("store"), "--no-staple-ocsp", "--log-level", "debug",
            "--max-connections", "2", "--header-timeout", "2",
        ])
        let clients = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            // Waited for in the log: a probe connection would count in the cap.
            try await Poll.until("autocert-server to listen on both ports", timeout: .seconds(20)) {
                server.outputText.contains("listening for http-01")
            }
            let held = [try await PlainHTTPLimitsTests.Client.connect(port: pebble.httpPort, group: clients).1,
                        try await PlainHTTPLimitsTests.Client.connect(port: pebble.httpPort, group: clients).1]
            try await Poll.until("the cap to be reached by two plain-HTTP connections", timeout: .seconds(10)) {
                server.outputText.contains("connection limit reached: 2 connections open")
            }
            for channel in held { try await PlainHTTPLimitsTests.closedByServer(channel) }
            #expect(server.outputText.components(separatedBy: "no whole request head within 2.0 s").count == 3, "\(server.outputText)")
            // Accepting resumed: the certificate is obtained (Pebble validates through the freed port) and served.
            let answer = try await Self.handshake(port: pebble.tlsPort, name: name)
            #expect(answer.contains("Pebble Intermediate"), "\(answer)\n--- server:\n\(server.outputText)")
            let (_, redirect) = try await TestProcess.run("curl", ["-sS", "-i", "-H", "Host: \(name)", "http://127.0.0.1:\(pebble.httpPort)/x"])
            #expect(redirect.contains("302") && redirect.contains("Location: https://\(name):\(pebble.tlsPort)/x"), "\(redirect)")
        } catch {
            print("server output:\n\(server.outputText)")
            try? await clients.shutdownGracefully()
            await server.stop()
            await pebble.stop()
            throw error
        }
        try? await clients.shutdownGracefully()
        await server.stop()
        await pebble.stop()
    }
}
