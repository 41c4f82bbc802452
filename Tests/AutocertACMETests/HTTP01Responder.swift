import AutocertACME
import AutocertTestSupport
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 that answers http-01 challenges (RFC 8555 §8.3):
/// `GET /.well-known/acme-challenge/TOKEN` → 200 with the key authorization, else 404.
/// One thread, one connection at a time, every read bounded by a timeout.
final class HTTP01Responder: Sendable {
    let port: Int
    private let answers = Mutex<[String: String]>([:])
    private let requests = Mutex<[String]>([])
    private let stopped = Mutex(false)
    private let listener: Int32

    init(port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw TestSupportError("cannot listen on 127.0.0.1:\(port): errno \(errno)")
        }
        self.port = port
        self.listener = fd
        let thread = Thread { [self] in self.serve() }
        thread.name = "http-01 responder"
        thread.start()
    }

    /// Serves `body` at `path` from now on.
    func set(path: String, body: String) { answers.withLock { $0[path] = body } }

    /// Stops serving `path`.
    func remove(path: String) { answers.withLock { $0[path] = nil } }

    /// The paths currently answered.
    var servedPaths: [String] { answers.withLock { Array($0.keys) } }

    /// The request lines seen so far.
    var requestLines: [String] { requests.withLock { $0 } }

    func stop() {
        stopped.withLock { $0 = true }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func serve() {
        defer { close(listener) }
        while !stopped.withLock({ $0 }) {
            var pollFD = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&pollFD, 1, 200) > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            handle(connection)
            close(connection)
        }
    }

    private func handle(_ connection: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.count < 16 * 1024, !String(decoding: received, as: UTF8.self).contains("\r\n\r\n") {
            let count = read(connection, &buffer, buffer.count)
            guard count > 0 else { break }
            received.append(contentsOf: buffer[0..<count])
        }
        let requestLine = String(decoding: received, as: UTF8.self).components(separatedBy: "\r\n").first ?? ""
        requests.withLock { $0.append(requestLine) }
        let parts = requestLine.split(separator: " ")
        let body = parts.count >= 2 && parts[0] == "GET" ? answers.withLock { $0[String(parts[1])] } : nil
        let status = body == nil ? "404 Not Found" : "200 OK"
        let payload = Array((body ?? "not found").utf8)
        let head = "HTTP/1.1 \(status)\r\nContent-Type: text/plain\r\nContent-Length: \(payload.count)\r\nConnection: close\r\n\r\n"
        let response = Array(head.utf8) + payload
        _ = response.withUnsafeBytes { write(connection, $0.baseAddress, $0.count) }
    }
}

/// An ``ACMEChallengeSolver`` for http-01 on an ``HTTP01Responder``.
struct HTTP01Solver: ACMEChallengeSolver {
    let responder: HTTP01Responder
    var challengeType: String { ACMEChallenge.http01 }

    func present(_ challenge: ACMEChallenge, for identifier: ACMEIdentifier, keyAuthorization: String) async throws {
        guard let path = challenge.http01Path else { throw TestSupportError("http-01 challenge without token") }
        responder.set(path: path, body: keyAuthorization)
    }

    func cleanUp(_ challenge: ACMEChallenge, for identifier: ACMEIdentifier) async {
        if let path = challenge.http01Path { responder.remove(path: path) }
    }
}
