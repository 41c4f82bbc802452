@testable import Autocert
import AutocertTestSupport
import Logging
import NIOEmbedded
import NIOHTTP1
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// The plain-HTTP listener's deadlines (``PlainHTTPLimits``), on a real socket with TCP
/// clients that send nothing, half a head, or half a body.
@Suite("plain-HTTP listener: request-head and idle timeouts")
struct PlainHTTPLimitsTests {
    /// A TCP client that records what it receives and when the server closed the connection.
    final class Client: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        private let received = NIOLockedValueBox("")

        var text: String { received.withLockedValue { $0 } }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLockedValue { $0 += String(buffer: buffer) }
        }

        static func connect(port: Int, group: any EventLoopGroup) async throws -> (Client, any Channel) {
            let client = Client()
            let channel = try await ClientBootstrap(group: group)
                .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(client) } }
                .connect(host: "127.0.0.1", port: port).get()
            return (client, channel)
        }
    }

    /// Runs `body` with a listener held to `limits` on a free port of 127.0.0.1.
    func withListener(_ limits: PlainHTTPLimits,
                      _ body: (_ port: Int, _ clients: any EventLoopGroup, _ harness: Harness) async throws -> Void) async throws {
        let harness = try Harness(names: ["example.test"])
        defer { harness.stop() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let listener = try await harness.manager.bindHTTP01Listener(port: 0, limits: limits, on: group)
        do {
            try await body(try #require(listener.localAddress?.port), group, harness)
        } catch {
            try? await listener.close()
            try? await group.shutdownGracefully()
            throw error
        }
        try? await listener.close()
        try? await group.shutdownGracefully()
    }

    /// Waits, at most 20 s, for the server to close `channel`.
    static func closedByServer(_ channel: any Channel) async throws {
        try await Poll.until("the server to close the connection", timeout: .seconds(20)) { !channel.isActive }
    }

    static let request = "GET /page HTTP/1.1\r\nHost: example.test\r\n\r\n"

    @Test("a connection that sends nothing, or half a request head, is closed after the head timeout")
    func silentAndSlowHeadsAreClosed() async throws {
        try await withListener(PlainHTTPLimits(requestHeadTimeout: .milliseconds(500), idleTimeout: .seconds(60))) { port, group, harness in
            let started = ContinuousClock.now
            let (_, silent) = try await Client.connect(port: port, group: group)
            let (halfClient, half) = try await Client.connect(port: port, group: group)
            try await half.writeAndFlush(ByteBuffer(string: "GET /page HTTP/1.1\r\nHost: exa"))
            try await Self.closedByServer(silent)
            try await Self.closedByServer(half)
            #expect(ContinuousClock.now - started >= .milliseconds(500))
            #expect(halfClient.text.isEmpty, "\(halfClient.text)")
            #expect(harness.logs.text.components(separatedBy: "no whole request head within 0.5 s").count == 3, "\(harness.logs.text)")
        }
    }

    @Test("keep-alive: requests are answered and the next head gets the head timeout from the end of each response")
    func keepAliveGetsTheHeadTimeoutPerRequest() async throws {
        try await withListener(PlainHTTPLimits(requestHeadTimeout: .seconds(2), idleTimeout: .seconds(60))) { port, group, harness in
            let (client, channel) = try await Client.connect(port: port, group: group)
            try await channel.writeAndFlush(ByteBuffer(string: Self.request))
            try await Poll.until("the first answer", timeout: .seconds(5)) { client.text.contains("302 Found") }
            // Well within the timeout of the first response's end, then again: the window restarts per response.
            try await Task.sleep(for: .milliseconds(500))
            try await channel.writeAndFlush(ByteBuffer(string: Self.request))
            try await Poll.until("the second answer", timeout: .seconds(5)) {
                client.text.components(separatedBy: "302 Found").count == 3
            }
            let answered = ContinuousClock.now
            try await Self.closedByServer(channel)
            #expect(ContinuousClock.now - answered >= .milliseconds(1500))  // the client saw the answer a little after it was written
            #expect(client.text.contains("Location: https://example.test/page"), "\(client.text)")
            #expect(harness.logs.text.contains("no whole request head within 2.0 s"), "\(harness.logs.text)")
        }
    }

    @Test("a request whose body stops arriving is closed after the idle timeout, not the head timeout")
    func stalledBodyIsClosedWhenIdle() async throws {
        try await withListener(PlainHTTPLimits(requestHeadTimeout: .seconds(60), idleTimeout: .milliseconds(500))) { port, group, harness in
            let (client, channel) = try await Client.connect(port: port, group: group)
            let started = ContinuousClock.now
            try await channel.writeAndFlush(ByteBuffer(string: "POST /upload HTTP/1.1\r\nHost: example.test\r\nContent-Length: 100\r\n\r\nhalf"))
            try await Self.closedByServer(channel)
            #expect(ContinuousClock.now - started >= .milliseconds(500))
            #expect(ContinuousClock.now - started < .seconds(30))
            #expect(!client.text.contains("HTTP/1.1"), "no answer before the body ends: \(client.text)")
            #expect(harness.logs.text.contains("idle for 0.5 s during a request"), "\(harness.logs.text)")
        }
    }

    @Test("a pipelined request whose head came before the previous response ended gets no head deadline while it is answered")
    func pipelinedRequestIsNotTimedOutWhileAnswered() throws {
        let channel = EmbeddedChannel(handler: RequestDeadlineHandler(
            limits: PlainHTTPLimits(requestHeadTimeout: .seconds(1), idleTimeout: .seconds(60)), logger: Logger(label: "test")))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
        head.headers.add(name: "Host", value: "example.test")
        // Two requests in one write, as a pipelining client sends them (Hummingbird does not hold the second back).
        for _ in 0..<2 {
            try channel.writeInbound(HTTPServerRequestPart.head(head))
            try channel.writeInbound(HTTPServerRequestPart.end(nil))
        }
        let response = HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Content-Length": "0"])
        try channel.writeOutbound(HTTPServerResponsePart.head(response))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(channel.isActive, "the second request is being answered: no head is awaited")
        try channel.writeOutbound(HTTPServerResponsePart.head(response))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(900))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        #expect(!channel.isActive, "no head within 1 s of the last response's end")
        _ = try? channel.finish()
    }
}
