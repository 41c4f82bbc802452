import AutocertACME
import AutocertTLS
import NIOCore
import NIOHTTP1

/// A plain-HTTP handler that answers http-01 challenges (RFC 8555 §8.3) and redirects
/// every other request to HTTPS, like Go autocert's `HTTPHandler(nil)`.
///
/// ``Manager/plainHTTPChannelInitializer(httpsPort:limits:)`` sets up a port-80 connection
/// with it, NIO's HTTP/1.1 handlers and the ``PlainHTTPLimits`` deadlines; in a pipeline of
/// your own, put it after `configureHTTPServerPipeline()`. A GET (or HEAD) for
/// `/.well-known/acme-challenge/TOKEN` is answered with the key authorization as
/// `text/plain` (404 for an unknown token); other GET and HEAD requests get a 302 to the
/// same host and path over HTTPS; other methods get 400. Event-loop bound; not `Sendable`.
public final class HTTP01ChallengeHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPServerRequestPart
    public typealias OutboundOut = HTTPServerResponsePart

    /// The path prefix of http-01 answers (RFC 8555 §8.3).
    public static let pathPrefix = "/.well-known/acme-challenge/"

    private let answers: ChallengeAnswers
    private let httpsPort: Int
    private var head: HTTPRequestHead?

    /// - Parameter httpsPort: the port redirects point to; 443 gives URLs without a port.
    public init(answers: ChallengeAnswers, httpsPort: Int = 443) {
        self.answers = answers
        self.httpsPort = httpsPort
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            if let token = Self.unansweredToken(head, answers: answers), answers.shared != nil {
                // In a cluster the answer may be in storage (another instance orders).
                let answers = self.answers
                context.eventLoop.makeFutureWithTask { await answers.storedHTTP01KeyAuthorization(token: token) }
                    .assumeIsolated().whenComplete { [self] _ in
                        let (status, headers, body) = response(to: head)
                        write(context: context, head: head, status: status, headers: headers, body: body)
                    }
                return
            }
            let (status, headers, body) = response(to: head)
            write(context: context, head: head, status: status, headers: headers, body: body)
        }
    }

    /// The token of a GET or HEAD for an http-01 answer not in memory.
    static func unansweredToken(_ head: HTTPRequestHead, answers: ChallengeAnswers) -> String? {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard path.hasPrefix(pathPrefix), head.method == .GET || head.method == .HEAD else { return nil }
        let token = String(path.dropFirst(pathPrefix.count))
        return answers.http01KeyAuthorization(token: token) == nil ? token : nil
    }

    /// The status, extra headers and body answering `head`.
    func response(to head: HTTPRequestHead) -> (HTTPResponseStatus, [(String, String)], String) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let readable = head.method == .GET || head.method == .HEAD
        if path.hasPrefix(Self.pathPrefix) {
            let token = String(path.dropFirst(Self.pathPrefix.count))
            guard readable, let answer = answers.http01KeyAuthorization(token: token) else {
                return (.notFound, [], "no such ACME challenge\n")
            }
            return (.ok, [("Content-Type", "text/plain")], answer)
        }
        guard readable else { return (.badRequest, [], "Use HTTPS\n") }
        guard let hostHeader = head.headers.first(name: "Host"), let host = Self.hostWithoutPort(hostHeader),
              ClientHello.normalisedServerName(host).map(HostPolicy.isHostName) == true || ACMEIPAddress(host) != nil || host == "localhost" else {
            return (.badRequest, [], "a Host header naming the server is required\n")
        }
        let port = httpsPort == 443 ? "" : ":\(httpsPort)"
        let target = head.uri.hasPrefix("/") ? head.uri : "/"
        let authority = host.contains(":") ? "[\(host)]" : host  // an IPv6 literal goes back in brackets
        return (.found, [("Location", "https://\(authority)\(port)\(target)")], "")
    }

    private func write(context: ChannelHandlerContext, head: HTTPRequestHead, status: HTTPResponseStatus, headers: [(String, String)], body: String) {
        var fields = HTTPHeaders(headers)
        fields.add(name: "Content-Length", value: "\(body.utf8.count)")
        let keepAlive = head.isKeepAlive
        if !keepAlive { fields.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: fields))), promise: nil)
        if head.method != .HEAD, !body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            done.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// `host` from `host[:port]` or `[v6]:port`; nil for an IPv6 literal.
    static func hostWithoutPort(_ value: String) -> String? {
        if value.hasPrefix("[") {  // an IPv6 literal (RFC 3986 §3.2.2), brackets dropped
            guard let close = value.firstIndex(of: "]") else { return nil }
            return String(value[value.index(after: value.startIndex)..<close])
        }
        return value.split(separator: ":", maxSplits: 1).first.map(String.init)
    }
}

extension Manager {
    /// Makes handlers for the port-80 listener that answer http-01 challenges from this
    /// Manager and redirect other requests to HTTPS on `httpsPort`; call it once when setting
    /// up the listener and call the result in each channel's initializer.
    ///
    /// Calling it lets the ACME side choose http-01 when tls-alpn-01 is not offered (Go
    /// autocert's `HTTPHandler` does the same).
    public func http01HandlerFactory(httpsPort: Int = 443) -> @Sendable () -> HTTP01ChallengeHandler {
        challenges.markHTTP01Served()
        let answers = challenges
        return { HTTP01ChallengeHandler(answers: answers, httpsPort: httpsPort) }
    }
}
