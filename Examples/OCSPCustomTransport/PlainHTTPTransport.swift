import AutocertHTTP
import Foundation

/// An ``HTTPTransport`` of this program's own: one plain `http://` request per connection,
/// over POSIX sockets, with no HTTP library at all.
///
/// It honours the deadline (`limits.timeout`, for connect, send and receive together) and
/// the body cap (`limits.maxBodyBytes`), and follows no redirect: a 3xx is returned as it
/// is, which `HTTPLimits.maxRedirects` allows. It refuses `https` (it has no TLS) with a
/// typed ``HTTPTransportError``. The blocking socket work runs on a thread of its own, so
/// the calling task waits without holding a thread of Swift's cooperative pool.
struct PlainHTTPTransport: HTTPTransport {
    func send(_ request: HTTPRequest, limits: HTTPLimits) async throws -> HTTPResponse {
        let url = try PlainHTTPURL(request.url)
        let deadline = ContinuousClock.now.advanced(by: limits.timeout)
        try Task.checkCancellation()
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { () throws(HTTPTransportError) in
                    try Self.exchange(request, url: url, limits: limits, deadline: deadline)
                })
            }
            thread.name = "ocsp-custom-transport"
            thread.start()
        }
    }

    /// Connects, sends `request` and reads the response: its head, then Content-Length body
    /// bytes or, without a length, everything up to the close; never more than the cap.
    private static func exchange(_ request: HTTPRequest, url: PlainHTTPURL, limits: HTTPLimits,
                                 deadline: ContinuousClock.Instant) throws(HTTPTransportError) -> HTTPResponse {
        let peer = "\(url.host):\(url.port)"
        let connection = try PlainHTTPConnection(host: url.host, port: url.port, deadline: deadline)
        try connection.write(PlainHTTPMessage.encode(request, url: url))

        let (head, received) = try readHead(from: connection, peer: peer)
        var body = received
        if let expected = request.method == .head ? 0 : head.contentLength {
            guard expected <= limits.maxBodyBytes else { throw tooLarge(limits) }
            while body.count < expected {
                let chunk = try connection.read()
                guard !chunk.isEmpty else {
                    throw HTTPTransportError(.connectionFailed, "\(peer) closed the connection after \(body.count) of \(expected) body bytes")
                }
                body += chunk
            }
            body = Array(body.prefix(expected))
        } else {
            while true {
                guard body.count <= limits.maxBodyBytes else { throw tooLarge(limits) }
                let chunk = try connection.read()
                if chunk.isEmpty { break }
                body += chunk
            }
        }
        return HTTPResponse(status: head.status, headers: head.headers, body: body, url: request.url)
    }

    /// Reads until the response head is complete; returns it and the body bytes read with it.
    private static func readHead(from connection: PlainHTTPConnection, peer: String) throws(HTTPTransportError) -> (PlainHTTPMessage.Head, [UInt8]) {
        var received: [UInt8] = []
        while true {
            let chunk = try connection.read()
            guard !chunk.isEmpty else {
                throw HTTPTransportError(.connectionFailed, "\(peer) closed the connection before a complete response head")
            }
            received += chunk
            if let head = try PlainHTTPMessage.head(in: received, peer: peer) {
                return (head, Array(received[head.bodyStart...]))
            }
        }
    }

    private static func tooLarge(_ limits: HTTPLimits) -> HTTPTransportError {
        HTTPTransportError(.bodyTooLarge, "the response body exceeds the \(limits.maxBodyBytes)-byte cap")
    }
}
