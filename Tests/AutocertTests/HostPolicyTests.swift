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

    @Test("names that are neither DNS host names nor IP addresses are refused whatever the policy says",
          arguments: ["", "localhost", "*.example.test", "192.168.1", "-a.example.test", "a..test", "exa mple.test", "ex_ample.test",
                      "a.demo.test..", "1.2.3.4.5", "2001:db8::1::2"])
    func notHostNames(_ name: String) {
        #expect(!HostPolicy { _ in true }.allows(name))
    }

    @Test("IP addresses (RFC 8738) are allowed when listed, whatever their spelling, and only then")
    func ipAddresses() {
        let policy = HostPolicy.allowing(["203.0.113.7", "2001:DB8:0:0::1"])
        #expect(policy.allows("203.0.113.7"))
        #expect(policy.allows("2001:db8::1"))
        #expect(policy.allows("[2001:db8::1]"))
        #expect(!policy.allows("203.0.113.8"))
        #expect(!HostPolicy.denyAll.allows("203.0.113.7"))
        #expect(HostPolicy.canonicalName("2001:0DB8:0000::0001") == "2001:db8::1")
    }

    @Test("a name ending in two dots is not the name with one: the policy, its allow-list and the Manager refuse it, with no CA call")
    func twoTrailingDots() async throws {
        let policy = HostPolicy.allowing(["a.demo.test"])
        #expect(policy.allows("a.demo.test."))
        #expect(!policy.allows("a.demo.test.."))
        #expect(!HostPolicy.allowing(["a.demo.test.."]).allows("a.demo.test"))
        let harness = try Harness(names: ["a.demo.test"])
        defer { harness.stop() }
        let byName = await #expect(throws: AutocertError.self) { try await harness.manager.certifiedKey(forName: "a.demo.test..") }
        #expect(byName?.code == .hostNotAllowed)
        let byHello = await #expect(throws: AutocertError.self) { try await harness.select(Harness.hello("a.demo.test..")) }
        #expect(byHello?.code == .missingServerName)
        #expect(harness.ca.issueCount == 0)
        #expect(harness.ocsp.requestCount == 0)
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
