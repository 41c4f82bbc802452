@testable import AutocertTLS
import NIOCore
import Testing

/// The bounded ClientHello reader that feeds certificate selection (RFC 8446 §4.1.2).
@Suite("ClientHello reader: the facts selection needs, and what it refuses")
struct ClientHelloReaderTests {
    /// What a new reader makes of `bytes` received at once.
    func read(_ bytes: [UInt8], maximumSize: Int = 16_384) -> ClientHelloReader.Outcome {
        var reader = ClientHelloReader(maximumSize: maximumSize)
        return reader.read(ByteBuffer(bytes: bytes))
    }

    @Test("the reader extracts what selection needs: the name lower-cased without its dot, ALPN, signature algorithms, status request, versions")
    func extractsTheFactsSelectionNeeds() throws {
        let bytes = RawClient.clientHello(serverName: "Example.COM.", alpn: ["h2", "acme-tls/1"])
        guard case .complete(let hello) = read(bytes) else {
            Issue.record("not parsed")
            return
        }
        #expect(hello.serverName == "example.com")
        #expect(hello.applicationProtocols == ["h2", "acme-tls/1"])
        #expect(hello.isACMEChallenge)
        #expect(hello.signatureAlgorithms == [0x0403, 0x0804])
        #expect(hello.requestsOCSPStaple)
        #expect(hello.supportedVersions == [0x0304, 0x0303])
    }

    @Test("a ClientHello spread over several records is read whole, and any cut of it waits for more")
    func waitsForEveryByteEvenAcrossRecords() {
        let bytes = RawClient.clientHello(serverName: "a.test", alpn: ["h2"], extraPadding: 20_000)
        #expect(read(bytes, maximumSize: 64 * 1024).isComplete)
        for cut in [1, 4, 5, 6, 100, bytes.count - 1] {
            #expect(read(Array(bytes.prefix(cut)), maximumSize: 64 * 1024).needsMore, "cut at \(cut)")
        }
    }

    @Test("an oversized ClientHello, plain HTTP, garbage and malformed handshakes are refused with their codes")
    func refusesOversizedGarbageAndPlainHTTP() {
        let big = RawClient.clientHello(serverName: "a.test", alpn: [], extraPadding: 20_000)
        #expect(read(big).code == .clientHelloTooLarge)
        #expect(read(Array("GET / HTTP/1.1\r\n".utf8)).code == .notTLS)
        #expect(read([0x00, 0xff, 0x13, 0x37, 0, 0]).code == .notTLS)
        #expect(read([22, 3, 1, 0, 4, 2, 0, 0, 0]).code == .invalidClientHello)
        #expect(read([22, 3, 1, 0, 5, 1, 0, 0, 1, 3]).code == .invalidClientHello)
    }

    @Test("a server_name with one trailing dot is read without it; one ending in two dots is refused as malformed")
    func trailingDotsInServerName() {
        #expect(read(RawClient.clientHello(serverName: "a.demo.test.", alpn: [])).hello?.serverName == "a.demo.test")
        #expect(read(RawClient.clientHello(serverName: "a.demo.test..", alpn: [])).code == .invalidClientHello)
        #expect(read(RawClient.clientHello(serverName: "A.Demo.Test..", alpn: [])).code == .invalidClientHello)
    }

    @Test("ALPN picks acme-tls/1 when offered, else the server's preference among what is offered, else nothing")
    func alpnPolicyAnswersACMEFirstThenServerPreference() {
        #expect(ALPNPolicy.select(offered: ["http/1.1", "h2"], serverPreference: ["h2", "http/1.1"]) == "h2")
        #expect(ALPNPolicy.select(offered: ["acme-tls/1"], serverPreference: ["h2"]) == "acme-tls/1")
        #expect(ALPNPolicy.select(offered: ["spdy/3"], serverPreference: ["h2"]) == nil)
    }
}

extension ClientHelloReader.Outcome {
    var isComplete: Bool { if case .complete = self { true } else { false } }
    var needsMore: Bool { if case .needMoreData = self { true } else { false } }
    var code: TLSBackendError.Code? { if case .invalid(let error) = self { error.code } else { nil } }
}
