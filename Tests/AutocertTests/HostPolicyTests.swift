@testable import Autocert
import AutocertTLS
import Testing

@Suite("Host policy")
struct HostPolicyTests {
    @Test("an allow-list matches names case-insensitively, with or without a trailing dot")
    func allowList() {
        let policy = HostPolicy.allowing(["Example.TEST", "www.example.test."])
        #expect(policy.allows("example.test"))
        #expect(policy.allows("EXAMPLE.test."))
        #expect(policy.allows("www.example.test"))
        #expect(!policy.allows("other.example.test"))
        #expect(!HostPolicy.denyAll.allows("example.test"))
    }

    @Test("names that are not DNS host names are refused whatever the policy says",
          arguments: ["", "localhost", "*.example.test", "192.168.1.1", "-a.example.test", "a..test", "exa mple.test", "ex_ample.test"])
    func notHostNames(_ name: String) {
        #expect(!HostPolicy { _ in true }.allows(name))
    }

    @Test("an unknown name fails with hostNotAllowed and causes no CA call")
    func unknownNameNoCATraffic() async throws {
        let harness = try Harness(names: ["example.test"])
        defer { harness.stop() }
        for name in ["unknown.test", "a.b.unknown.test", "EXAMPLE.org"] {
            let error = await #expect(throws: AutocertError.self) { try await harness.select(Harness.hello(name)) }
            #expect(error?.code == .hostNotAllowed)
        }
        let noName = await #expect(throws: AutocertError.self) { try await harness.select(Harness.hello(nil)) }
        #expect(noName?.code == .missingServerName)
        #expect(harness.ca.issueCount == 0)
        #expect(harness.ocsp.requestCount == 0)
    }

    @Test("an acme-tls/1 handshake with no challenge in progress gets no certificate and causes no CA call")
    func challengeWithoutOrder() async throws {
        let harness = try Harness(names: ["example.test"])
        defer { harness.stop() }
        let error = await #expect(throws: AutocertError.self) {
            try await harness.select(Harness.hello("example.test", alpn: [ClientHello.acmeTLSProtocol]))
        }
        #expect(error?.code == .noChallengeCertificate)
        #expect(harness.ca.issueCount == 0)
    }
}
