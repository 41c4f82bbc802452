import AutocertTLS
import NIOCore
import NIOEmbedded
import Testing

/// CertifiedKey from PEM, and StaticCertificateSelector's choice by name (RFC 6066 §3).
@Suite("Certificate selection: CertifiedKey and the static selector")
struct SelectorTests {
    static func key(_ name: String, pki: TLSTestPKI) async throws -> CertifiedKey {
        try await pki.issue(name, staple: false).key
    }

    @Test("CertifiedKey refuses an empty chain or key, an empty staple and PEM without a certificate; a staple source makes a new identity")
    func certifiedKeyRejectsWhatNoBackendCouldLoad() throws {
        #expect(throws: TLSBackendError.self) { try CertifiedKey(certificateChain: [], privateKey: [1]) }
        #expect(throws: TLSBackendError.self) { try CertifiedKey(certificateChain: [[1]], privateKey: []) }
        #expect(throws: TLSBackendError.self) { try StaticStaple([]) }
        #expect(throws: TLSBackendError.self) { try CertifiedKey(chainPEM: "no pem here", privateKeyPEM: "") }
        let a = try CertifiedKey(certificateChain: [[1]], privateKey: [2])
        let b = a.withStapleSource(try StaticStaple([3]))
        #expect(a.identity != b.identity && b.ocspStaple == [3])
    }

    @Test("the static selector picks the exact name, then a one-label wildcard, then the default; acme-tls/1 gets only a challenge certificate")
    func staticSelectorPicksExactThenWildcardThenDefault() async throws {
        let pki = try await TLSTestPKI.create()
        defer { pki.directory.remove() }
        let first = try await Self.key("first.test", pki: pki)
        let wildcard = try await Self.key("wild.test", pki: pki)
        let exact = try await Self.key("exact.wild.test", pki: pki)
        let challenge = try await pki.challenge("exact.wild.test").key
        var selector = StaticCertificateSelector()
        selector.add(first, for: ["first.test"])
        selector.add(wildcard, for: ["*.wild.test"])
        selector.add(exact, for: ["exact.wild.test"])
        selector.setChallenge(challenge, for: "exact.wild.test")
        #expect(selector.select(ClientHello(serverName: "exact.wild.test"))?.identity == exact.identity)
        #expect(selector.select(ClientHello(serverName: "other.wild.test"))?.identity == wildcard.identity)
        #expect(selector.select(ClientHello(serverName: "deep.other.wild.test"))?.identity == first.identity)
        #expect(selector.select(ClientHello())?.identity == first.identity)
        let acme = ClientHello(serverName: "exact.wild.test", applicationProtocols: ["acme-tls/1"])
        #expect(selector.select(acme)?.identity == challenge.identity)
        #expect(selector.select(ClientHello(serverName: "first.test", applicationProtocols: ["acme-tls/1"])) == nil)
        let loop = EmbeddedEventLoop()
        let unknown = selector.certifiedKey(for: ClientHello(serverName: "first.test", applicationProtocols: ["acme-tls/1"]), on: loop)
        await #expect(throws: TLSBackendError.self) { try await unknown.get() }
    }

    @Test("the static selector refuses a name ending in two dots: it neither registers it nor matches it to the name with one")
    func staticSelectorRefusesTwoTrailingDots() throws {
        let fallback = try CertifiedKey(certificateChain: [[1]], privateKey: [1])
        let demo = try CertifiedKey(certificateChain: [[2]], privateKey: [2])
        let dotted = try CertifiedKey(certificateChain: [[3]], privateKey: [3])
        let challenge = try CertifiedKey(certificateChain: [[4]], privateKey: [4])
        var selector = StaticCertificateSelector()
        selector.add(fallback, for: ["fallback.test"])
        selector.add(demo, for: ["a.demo.test."])
        selector.add(dotted, for: ["b.demo.test.."])
        selector.setChallenge(challenge, for: "b.demo.test..")
        #expect(ClientHello(serverName: "a.demo.test..").serverName == nil)
        #expect(selector.select(ClientHello(serverName: "a.demo.test"))?.identity == demo.identity)
        #expect(selector.select(ClientHello(serverName: "a.demo.test.."))?.identity == fallback.identity)
        #expect(selector.select(ClientHello(serverName: "b.demo.test"))?.identity == fallback.identity)
        #expect(selector.select(ClientHello(serverName: "b.demo.test.", applicationProtocols: ["acme-tls/1"])) == nil)
    }
}
