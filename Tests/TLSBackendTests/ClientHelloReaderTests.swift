@testable import AutocertTLS
import NIOCore
import Testing

/// The bounded ClientHello reader that feeds certificate selection (RFC 8446 §4.1.2).
struct ClientHelloReaderTests {
    let reader = ClientHelloReader(maximumSize: 16_384)

    @Test("the reader extracts what selection needs: the name lower-cased without its dot, ALPN, signature algorithms, status request, versions")
    func extractsTheFactsSelectionNeeds() throws {
        let bytes = RawClient.clientHello(serverName: "Example.COM.", alpn: ["h2", "acme-tls/1"])
        guard case .complete(let hello) = reader.read(ByteBuffer(bytes: bytes)) else {
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
        #expect(ClientHelloReader(maximumSize: 64 * 1024).read(ByteBuffer(bytes: bytes)).isComplete)
        for cut in [1, 4, 5, 6, 100, bytes.count - 1] {
            #expect(ClientHelloReader(maximumSize: 64 * 1024).read(ByteBuffer(bytes: bytes.prefix(cut))).needsMore, "cut at \(cut)")
        }
    }

    @Test("an oversized ClientHello, plain HTTP, garbage and malformed handshakes are refused with their codes")
    func refusesOversizedGarbageAndPlainHTTP() {
        let big = RawClient.clientHello(serverName: "a.test", alpn: [], extraPadding: 20_000)
        #expect(reader.read(ByteBuffer(bytes: big)).code == .clientHelloTooLarge)
        #expect(reader.read(ByteBuffer(string: "GET / HTTP/1.1\r\n")).code == .notTLS)
        #expect(reader.read(ByteBuffer(bytes: [0x00, 0xff, 0x13, 0x37, 0, 0])).code == .notTLS)
        #expect(reader.read(ByteBuffer(bytes: [22, 3, 1, 0, 4, 2, 0, 0, 0])).code == .invalidClientHello)
        #expect(reader.read(ByteBuffer(bytes: [22, 3, 1, 0, 5, 1, 0, 0, 1, 3])).code == .invalidClientHello)
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
