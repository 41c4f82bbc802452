import AutocertGnuTLS
import AutocertOpenSSL
import AutocertTestSupport
import AutocertTLS
import NIOCore
import Synchronization
import Testing

/// A staple source whose answer the test changes, as a stapler's refresh would.
final class SwitchableStaple: StapleSource {
    private let staple = Mutex<[UInt8]?>(nil)
    func set(_ der: [UInt8]?) { staple.withLock { $0 = der } }
    func currentStaple() -> [UInt8]? { staple.withLock { $0 } }
}

/// A selector whose one certificate the test replaces, as a renewal would.
final class ReplaceableSelector: CertificateSelector {
    private let key: Mutex<CertifiedKey?>
    init(_ key: CertifiedKey) { self.key = Mutex(key) }
    func replace(with key: CertifiedKey?) { self.key.withLock { $0 = key } }
    func immediateCertifiedKey(for hello: ClientHello) -> CertifiedKey? { key.withLock { $0 } }
    func certifiedKey(for hello: ClientHello, on eventLoop: any EventLoop) -> EventLoopFuture<CertifiedKey> {
        guard let key = immediateCertifiedKey(for: hello) else {
            return eventLoop.makeFailedFuture(TLSBackendError(.noCertificate, "no certificate"))
        }
        return eventLoop.makeSucceededFuture(key)
    }
}

extension BackendKind {
    /// How many library contexts `backend` has prepared and keeps now.
    static func statistics(_ backend: any TLSBackend) -> (prepared: Int, kept: Int) {
        if let openssl = backend as? OpenSSLBackend { return openssl.contextStatistics }
        if let gnutls = backend as? GnuTLSBackend { return gnutls.contextStatistics }
        return (-1, -1)
    }
}

/// The staple source seam: a backend asks the certificate's source during each handshake
/// that wants a staple, so a new staple needs no new library context; contexts are kept per
/// certificate and freed when the certificate goes out of service.
@Suite("TLS backends: staples from the certificate's source, one context per certificate", .serialized)
struct StapleSourceTests {
    @Test("100 staple refreshes make one context, and each next handshake carries the new staple (openssl s_client -status)",
          arguments: BackendKind.allCases)
    func refreshesReuseTheContext(_ backend: BackendKind) async throws {
        let pki = try await TLSTestPKI.create()
        defer { pki.directory.remove() }
        let leaf = try await pki.issue("alpha.test", staple: true)
        var staples: [(der: [UInt8], nextUpdate: String)] = []
        for days in 1...5 { staples.append(try await pki.refreshedStaple(for: leaf, days: days)) }
        let source = SwitchableStaple()
        var selector = StaticCertificateSelector()
        selector.add(leaf.key.withStapleSource(source), for: ["alpha.test"])
        let tls = try backend.make()
        let server = try await TestTLSServer.start(tls, selector: selector, logger: LogCapture().logger())
        do {
            for refresh in 0..<100 {
                let expected = staples[refresh % staples.count]
                source.set(Array(expected.der))  // a new array each time, as each fetch makes
                let hello = OpenSSLTranscript(try await TLSClients.openssl(
                    port: server.port, serverName: "alpha.test", caPath: pki.caPath, ["-status", refresh.isMultiple(of: 2) ? "-tls1_3" : "-tls1_2"]))
                #expect(hello.verified && hello.stapled && hello.stapleGood, "refresh \(refresh): \(hello.text)")
                #expect(try TLSTestPKI.nextUpdate(in: hello.text) == expected.nextUpdate, "refresh \(refresh) was not the staple served")
            }
            source.set(nil)
            let none = OpenSSLTranscript(try await TLSClients.openssl(port: server.port, serverName: "alpha.test", caPath: pki.caPath, ["-status"]))
            #expect(none.verified && !none.stapled, "no staple from the source, none sent: \(none.text)")
            let statistics = BackendKind.statistics(tls)
            #expect(statistics.prepared == 1 && statistics.kept == 1, "contexts made for one certificate: \(statistics)")
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test("a certificate taken out of service frees its context", arguments: BackendKind.allCases)
    func retiredCertificatesFreeTheirContexts(_ backend: BackendKind) async throws {
        let pki = try await TLSTestPKI.create()
        defer { pki.directory.remove() }
        let alpha = try await pki.issue("alpha.test", staple: false), beta = try await pki.issue("beta.test", staple: false)
        // Keys held by the selector alone (a new value each: the PKI's keep their own).
        let selector = ReplaceableSelector(alpha.key.withStapleSource(nil))
        let tls = try backend.make()
        let server = try await TestTLSServer.start(tls, selector: selector, logger: LogCapture().logger())
        do {
            try await Self.handshake(server, "alpha.test", pki)
            #expect(BackendKind.statistics(tls) == (1, 1))
            selector.replace(with: beta.key.withStapleSource(nil))  // a renewal: the old certificate goes out of service
            try await Self.handshake(server, "beta.test", pki)
            #expect(BackendKind.statistics(tls) == (2, 1), "the replaced certificate's context is freed")
            selector.replace(with: nil)  // the name is dropped
            #expect(BackendKind.statistics(tls) == (2, 0), "no context is kept for a certificate nobody serves")
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test("the context cache drops the least recently used certificate, not all of them", arguments: BackendKind.allCases)
    func contextCacheIsLeastRecentlyUsed(_ backend: BackendKind) async throws {
        let pki = try await TLSTestPKI.create()
        defer { pki.directory.remove() }
        var selector = StaticCertificateSelector()
        for name in ["alpha.test", "beta.test", "gamma.test"] { selector.add(try await pki.issue(name, staple: false).key, for: [name]) }
        let tls = try backend.make(TLSServerConfiguration(certificateCacheCapacity: 2))
        let server = try await TestTLSServer.start(tls, selector: selector, logger: LogCapture().logger())
        do {
            // (name, contexts prepared after its handshake): with room for two, gamma drops beta
            // (least recently used), so alpha is still there; beta then drops gamma.
            for (name, prepared) in [("alpha.test", 1), ("beta.test", 2), ("alpha.test", 2), ("gamma.test", 3), ("alpha.test", 3),
                                     ("beta.test", 4), ("alpha.test", 4), ("gamma.test", 5)] {
                try await Self.handshake(server, name, pki)
                #expect(BackendKind.statistics(tls) == (prepared, min(prepared, 2)), "after \(name)")
            }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    static func handshake(_ server: TestTLSServer, _ name: String, _ pki: TLSTestPKI) async throws {
        let hello = OpenSSLTranscript(try await TLSClients.openssl(port: server.port, serverName: name, caPath: pki.caPath, []))
        #expect(hello.verified && hello.subjectCN == name, "\(hello.text)")
    }
}
