import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A scriptable HTTP/1.1 server on 127.0.0.1 for fault injection: it answers each request
/// with whatever the test's handler says, including hanging, closing, or raw bytes.
public final class LoopbackHTTPServer: Sendable {
    /// What to do with one request.
    public enum Reply: Sendable {
        /// A normal response; Content-Length is added.
        case respond(status: Int, headers: [(String, String)], body: [UInt8])
        /// Bytes written as they are, then the connection is closed.
        case raw([UInt8])
        /// Close the connection without answering.
        case close
        /// Keep the connection open without answering until the server stops.
        case hang
    }

    /// One request as received.
    public struct Request: Sendable {
        public let method: String
        public let path: String
        public let headers: [String: String]
        public let body: [UInt8]
        public let receivedAt: ContinuousClock.Instant
    }

    public let port: Int
    private let listener: Int32
    private let handler: @Sendable (Request) -> Reply
    private let state = Mutex(State())

    private struct State: ~Copyable {
        var requests: [Request] = []
        var stopped = false
        var hanging: [Int32] = []
    }

    /// The requests received so far.
    public var requests: [Request] { state.withLock { $0.requests } }

    /// The base URL, e.g. `http://127.0.0.1:PORT`.
    public var url: String { "http://127.0.0.1:\(port)" }

    /// Starts a server on `port` (default: a free one) that answers with `handler`.
    public init(port: Int = 0, handler: @escaping @Sendable (Request) -> Reply) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else { close(fd); throw TestSupportError("bind/listen failed: errno \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        self.listener = fd
        self.handler = handler
        let thread = Thread { [self] in self.acceptLoop() }
        thread.name = "LoopbackHTTPServer:\(port)"
        thread.start()
    }

    /// Stops accepting and closes every connection left hanging.
    public func stop() {
        let hanging = state.withLock { state -> [Int32] in
            state.stopped = true
            defer { state.hanging.removeAll() }
            return state.hanging
        }
        hanging.forEach { close($0) }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        while !state.withLock({ $0.stopped }) {
            var descriptor = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, 50) > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            let thread = Thread { [self] in self.serve(connection) }
            thread.start()
        }
        close(listener)
    }

    private func serve(_ connection: Int32) {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let request = readRequest(connection) else { close(connection); return }
        state.withLock { $0.requests.append(request) }
        switch handler(request) {
        case .close:
            close(connection)
        case .hang:
            let keep = state.withLock { state -> Bool in
                if !state.stopped { state.hanging.append(connection) }
                return !state.stopped
            }
            if !keep { close(connection) }
        case .raw(let bytes):
            writeAll(connection, bytes)
            close(connection)
        case .respond(let status, let headers, let body):
            var head = "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Status")\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
            for (name, value) in headers { head += "\(name): \(value)\r\n" }
            writeAll(connection, Array((head + "\r\n").utf8) + body)
            close(connection)
        }
    }

    private func readRequest(_ connection: Int32) -> Request? {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while buffer.count < 1 << 20 {
            if let end = headerEnd(buffer) {
                let head = String(decoding: buffer[..<end], as: UTF8.self)
                var lines = head.components(separatedBy: "\r\n")
                let requestLine = lines.removeFirst().split(separator: " ")
                var headers: [String: String] = [:]
                for line in lines {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                let wanted = Int(headers["content-length"] ?? "0") ?? 0
                var body = Array(buffer[(end + 4)...])
                while body.count < wanted {
                    let count = read(connection, &chunk, chunk.count)
                    guard count > 0 else { return nil }
                    body += chunk[..<count]
                }
                guard requestLine.count >= 2 else { return nil }
                return Request(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: body, receivedAt: .now)
            }
            let count = read(connection, &chunk, chunk.count)
            guard count > 0 else { return nil }
            buffer += chunk[..<count]
        }
        return nil
    }

    private func headerEnd(_ buffer: [UInt8]) -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4) where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }

    private func writeAll(_ connection: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { return }
            offset += written
        }
    }
}
